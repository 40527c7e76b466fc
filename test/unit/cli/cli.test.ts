import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { detectCi } from '../../../cli/lib/ci.mjs'
import { expandPatterns } from '../../../cli/lib/files.mjs'
import { isoInstant, localReportStart, pickStartedAt } from '../../../cli/lib/started-at.mjs'
import type { IngestReceipt } from '#shared/types/ingest'

const SHA = 'a'.repeat(40)

describe('detectCi', () => {
  it.each([
    ['GitHub Actions (pull request)', { GITHUB_ACTIONS: 'true', GITHUB_HEAD_REF: 'feat/x', GITHUB_REF_NAME: '12/merge', GITHUB_SHA: SHA, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/web', GITHUB_RUN_ID: '99', GITHUB_RUN_ATTEMPT: '2', GITHUB_JOB: 'test' },
      { provider: 'github', branch: 'feat/x', commit: SHA, buildUrl: 'https://github.com/acme/web/actions/runs/99', runKey: 'gh-99-test', ciAttempt: '2', job: 'test' }],
    ['GitLab CI', { GITLAB_CI: 'true', CI_COMMIT_REF_NAME: 'main', CI_COMMIT_SHA: SHA, CI_COMMIT_MESSAGE: 'fix: x', CI_JOB_URL: 'https://gitlab.com/j/1', CI_PIPELINE_ID: '5', CI_JOB_ID: '7', CI_JOB_NAME: 'e2e' },
      { provider: 'gitlab', branch: 'main', commit: SHA, commitMessage: 'fix: x', buildUrl: 'https://gitlab.com/j/1', runKey: 'gl-5-7', job: 'e2e' }],
    // `parallel: 4` names its jobs `e2e 1/4` … `e2e 4/4`: one job's shards, whose number --shard says
    ['GitLab CI parallel job: the job without its shard number', { GITLAB_CI: 'true', CI_PIPELINE_ID: '5', CI_JOB_ID: '8', CI_JOB_NAME: 'e2e tests 2/4' },
      { provider: 'gitlab', runKey: 'gl-5-8', job: 'e2e tests' }],
    ['GitLab CI parallel matrix job: its name is the leg\'s', { GITLAB_CI: 'true', CI_PIPELINE_ID: '5', CI_JOB_ID: '9', CI_JOB_NAME: 'test: [node, 20]' },
      { provider: 'gitlab', runKey: 'gl-5-9', job: 'test: [node, 20]' }],
    ['Jenkins', { JENKINS_URL: 'https://ci', GIT_BRANCH: 'origin/main', GIT_COMMIT: SHA, BUILD_URL: 'https://ci/job/1/', BUILD_TAG: 'jenkins-web-1', JOB_NAME: 'web' },
      { provider: 'jenkins', branch: 'main', commit: SHA, buildUrl: 'https://ci/job/1/', runKey: `jenkins-web-1-${SHA.slice(0, 12)}`, job: 'web' }],
    ['CircleCI', { CIRCLECI: 'true', CIRCLE_BRANCH: 'main', CIRCLE_SHA1: SHA, CIRCLE_BUILD_URL: 'https://circleci.com/b/1', CIRCLE_WORKFLOW_ID: 'w1', CIRCLE_JOB: 'test' },
      { provider: 'circleci', branch: 'main', commit: SHA, buildUrl: 'https://circleci.com/b/1', runKey: 'circle-w1-test', job: 'test' }],
    ['CircleCI parallelism: container 0 of 4 is shard 1/4 of the job\'s run', { CIRCLECI: 'true', CIRCLE_WORKFLOW_ID: 'w1', CIRCLE_JOB: 'test', CIRCLE_NODE_INDEX: '0', CIRCLE_NODE_TOTAL: '4' },
      { provider: 'circleci', runKey: 'circle-w1-test', shard: '1/4', job: 'test' }],
    ['CircleCI without parallelism: no shard', { CIRCLECI: 'true', CIRCLE_WORKFLOW_ID: 'w1', CIRCLE_JOB: 'test', CIRCLE_NODE_INDEX: '0', CIRCLE_NODE_TOTAL: '1' },
      { provider: 'circleci', runKey: 'circle-w1-test', job: 'test' }],
    ['Buildkite', { BUILDKITE: 'true', BUILDKITE_BRANCH: 'main', BUILDKITE_COMMIT: SHA, BUILDKITE_MESSAGE: 'm', BUILDKITE_BUILD_URL: 'https://bk/1', BUILDKITE_BUILD_ID: 'b', BUILDKITE_JOB_ID: 'j', BUILDKITE_RETRY_COUNT: '0', BUILDKITE_LABEL: ':jest: Unit' },
      { provider: 'buildkite', branch: 'main', commit: SHA, commitMessage: 'm', buildUrl: 'https://bk/1', runKey: 'bk-b-j', ciAttempt: '1', job: ':jest: Unit' }],
    // a step's key is the same in each of its parallel jobs, where a label may number them (`Tests %n`)
    ['Buildkite step with a key', { BUILDKITE: 'true', BUILDKITE_BUILD_ID: 'b', BUILDKITE_JOB_ID: 'j', BUILDKITE_LABEL: 'Tests 2', BUILDKITE_STEP_KEY: 'tests', BUILDKITE_PARALLEL_JOB: '1' },
      { provider: 'buildkite', runKey: 'bk-b-j', job: 'tests' }],
    ['Buildkite parallel job without a key: its label may be numbered, so no job', { BUILDKITE: 'true', BUILDKITE_BUILD_ID: 'b', BUILDKITE_JOB_ID: 'j', BUILDKITE_LABEL: 'Tests 2', BUILDKITE_PARALLEL_JOB: '1' },
      { provider: 'buildkite', runKey: 'bk-b-j' }],
    ['Azure Pipelines', { TF_BUILD: 'True', BUILD_SOURCEBRANCH: 'refs/heads/main', BUILD_SOURCEVERSION: SHA, SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/', SYSTEM_TEAMPROJECT: 'web', BUILD_BUILDID: '42', SYSTEM_JOBID: 'j1', SYSTEM_JOBATTEMPT: '3' },
      { provider: 'azure', branch: 'main', commit: SHA, buildUrl: 'https://dev.azure.com/acme/web/_build/results?buildId=42', runKey: 'azure-42-j1', ciAttempt: '3' }],
    ['GitHub Actions attempt that is no number: left out, not refused by the server',
      { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '99', GITHUB_RUN_ATTEMPT: 'x', GITHUB_JOB: 'test' }, { provider: 'github', runKey: 'gh-99-test', job: 'test' }],
    ['Jenkins multibranch pull request: the source branch, not "PR-24"',
      { JENKINS_URL: 'https://ci', BRANCH_NAME: 'PR-24', CHANGE_BRANCH: 'feat/x', CHANGE_ID: '24', GIT_COMMIT: SHA, BUILD_TAG: 'jenkins-web-PR-24-3' },
      { provider: 'jenkins', branch: 'feat/x', commit: SHA, runKey: `jenkins-web-PR-24-3-${SHA.slice(0, 12)}` }],
    ['Jenkins multibranch branch build', { JENKINS_URL: 'https://ci', BRANCH_NAME: 'release/2.x', GIT_BRANCH: 'release/2.x', BUILD_TAG: 'jenkins-web-release%2F2.x-1' },
      { provider: 'jenkins', branch: 'release/2.x', runKey: 'jenkins-web-release%2F2.x-1' }],
    ['Buildkite build of HEAD: a symbolic commit is left out, not rejected by the server',
      { BUILDKITE: 'true', BUILDKITE_BRANCH: 'main', BUILDKITE_COMMIT: 'HEAD', BUILDKITE_BUILD_ID: 'b', BUILDKITE_JOB_ID: 'j' },
      { provider: 'buildkite', branch: 'main', runKey: 'bk-b-j' }],
    ['Azure Pipelines project name with a space, pull request from a branch',
      { TF_BUILD: 'True', BUILD_SOURCEBRANCH: 'refs/pull/7/merge', SYSTEM_PULLREQUEST_SOURCEBRANCH: 'refs/heads/feat/x', BUILD_SOURCEVERSION: SHA,
        SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/', SYSTEM_TEAMPROJECT: 'Fabrikam Fiber', BUILD_BUILDID: '42', SYSTEM_JOBID: 'j1' },
      { provider: 'azure', branch: 'feat/x', commit: SHA, buildUrl: 'https://dev.azure.com/acme/Fabrikam%20Fiber/_build/results?buildId=42', runKey: 'azure-42-j1' }],
    ['no CI', { HOME: '/root' }, { provider: null }],
    ['GitLab CI with the job start',
      { GITLAB_CI: 'true', CI_JOB_STARTED_AT: '2026-03-05T14:31:02Z', CI_PIPELINE_CREATED_AT: '2026-03-05T14:30:00Z' },
      { provider: 'gitlab', startedAt: '2026-03-05T14:31:02Z', startedAtVar: 'CI_JOB_STARTED_AT' }],
    ['GitLab CI with the pipeline creation only', { GITLAB_CI: 'true', CI_PIPELINE_CREATED_AT: '2026-03-05T15:30:00+01:00' },
      { provider: 'gitlab', startedAt: '2026-03-05T15:30:00+01:00', startedAtVar: 'CI_PIPELINE_CREATED_AT' }],
    ['Azure Pipelines with the pipeline start', { TF_BUILD: 'True', SYSTEM_PIPELINESTARTTIME: '2021-10-21 06:28:33+00:00' },
      { provider: 'azure', startedAt: '2021-10-21 06:28:33+00:00', startedAtVar: 'SYSTEM_PIPELINESTARTTIME' }],
    // these CIs expose no start time: a variable of that name set by hand is not read
    ['Buildkite', { BUILDKITE: 'true', BUILDKITE_BUILD_CREATED_AT: '2026-03-05T14:30:00Z' }, { provider: 'buildkite' }],
    ['Jenkins', { JENKINS_URL: 'https://ci', BUILD_TIMESTAMP: '2026-03-05 14:30:00 UTC' }, { provider: 'jenkins' }],
  ])('%s', (_name, env, expected) => {
    expect(detectCi(env)).toEqual(expected)
  })

  describe('the repository\'s default branch, for a project the upload creates', () => {
    const event = (payload: unknown) => (path: string) => {
      expect(path).toBe('/home/runner/work/_temp/_github_workflow/event.json')
      return JSON.stringify(payload)
    }
    const GITHUB = { GITHUB_ACTIONS: 'true', GITHUB_HEAD_REF: 'feat/x', GITHUB_EVENT_PATH: '/home/runner/work/_temp/_github_workflow/event.json' }
    it.each([
      ['GitHub Actions pull request: the event payload\'s repository', GITHUB, event({ pull_request: { base: { ref: 'release' } }, repository: { default_branch: 'trunk' } }), 'trunk'],
      ['GitHub Actions push', { ...GITHUB, GITHUB_HEAD_REF: '', GITHUB_REF_NAME: 'main' }, event({ ref: 'refs/heads/main', repository: { default_branch: 'main' } }), 'main'],
      ['GitHub Actions event without a repository', GITHUB, event({ schedule: '0 3 * * *' }), undefined],
      ['GitHub Actions event payload that is not JSON', GITHUB, () => '{', undefined],
      ['GitHub Actions event payload that cannot be read', GITHUB, () => { throw new Error('ENOENT') }, undefined],
      ['GitHub Actions without GITHUB_EVENT_PATH', { GITHUB_ACTIONS: 'true' }, event({}), undefined],
      ['GitLab CI', { GITLAB_CI: 'true', CI_COMMIT_REF_NAME: 'feat/x', CI_DEFAULT_BRANCH: 'develop' }, undefined, 'develop'],
      ['Buildkite', { BUILDKITE: 'true', BUILDKITE_PIPELINE_DEFAULT_BRANCH: 'main', BUILDKITE_PULL_REQUEST_BASE_BRANCH: 'release' }, undefined, 'main'],
      ['Buildkite pull request, no pipeline default', { BUILDKITE: 'true', BUILDKITE_PULL_REQUEST_BASE_BRANCH: 'release' }, undefined, 'release'],
      ['Azure Pipelines pull request: its target', { TF_BUILD: 'True', SYSTEM_PULLREQUEST_SOURCEBRANCH: 'refs/heads/feat/x', SYSTEM_PULLREQUEST_TARGETBRANCH: 'refs/heads/main' }, undefined, 'main'],
      ['Jenkins multibranch pull request: its target', { JENKINS_URL: 'https://ci', CHANGE_BRANCH: 'feat/x', CHANGE_TARGET: 'main' }, undefined, 'main'],
      ['Jenkins branch build', { JENKINS_URL: 'https://ci', BRANCH_NAME: 'main' }, undefined, undefined],
      ['CircleCI, which does not say', { CIRCLECI: 'true', CIRCLE_BRANCH: 'feat/x' }, undefined, undefined],
    ])('%s', (_name, env, readFile, defaultBranch) => {
      expect(detectCi(env, readFile).defaultBranch).toBe(defaultBranch)
    })
  })
})

describe('isoInstant', () => {
  it.each([
    ['2026-03-05T14:30:00Z', '2026-03-05T14:30:00.000Z'],
    ['2026-03-05T15:30:00+01:00', '2026-03-05T14:30:00.000Z'],
    ['2026-03-05T09:30:00.250-0500', '2026-03-05T14:30:00.250Z'],
    ['2021-10-21 06:28:33+00:00', '2021-10-21T06:28:33.000Z'],
    ['2026-03-05T14:30Z', '2026-03-05T14:30:00.000Z'],
    // no zone: it would be read in the server's zone, off by the runner's offset
    ['2026-03-05T14:30:00', null],
    ['2026-03-05', null],
    ['1741185000', null],
    ['yesterday', null],
    ['2026-02-30T14:30:00Z', null],
    ['2026-13-05T14:30:00Z', null],
    ['', null],
    [undefined, null],
  ])('%s → %s', (value, expected) => {
    expect(isoInstant(value)).toBe(expected)
  })
})

describe('pickStartedAt', () => {
  const now = Date.parse('2026-03-05T16:00:00Z')
  const gitlab = { startedAt: '2026-03-05T14:31:02Z', startedAtVar: 'CI_JOB_STARTED_AT' }
  it.each([
    ['the flag wins over the CI', '2026-03-04T10:00:00+02:00', gitlab, { startedAt: '2026-03-04T08:00:00.000Z', source: 'flag' }],
    ['"report" leaves it to the reports, whatever the CI says', 'report', gitlab, { source: 'report' }],
    ['the CI\'s job start without a flag', undefined, gitlab, { startedAt: '2026-03-05T14:31:02.000Z', source: 'ci' }],
    ['nothing without a flag or a CI start', undefined, {}, { source: 'report' }],
    ['a few minutes of clock skew pass', '2026-03-05T16:04:00Z', {}, { startedAt: '2026-03-05T16:04:00.000Z', source: 'flag' }],
  ])('%s', (_name, flag, ci, expected) => {
    expect(pickStartedAt(flag, ci, now)).toEqual(expected)
  })

  it('says what is wrong with a flag it cannot use, and warns about an unreadable CI value', () => {
    expect(pickStartedAt('2026-03-05 14:30', {}, now).error)
      .toBe('--started-at takes an ISO 8601 date-time with a zone, e.g. 2026-03-05T14:30:00Z, or "report" (got "2026-03-05 14:30").')
    expect(pickStartedAt('2026-03-06T14:30:00Z', {}, now).error).toMatch(/^--started-at 2026-03-06T14:30:00Z is in the future/)
    expect(pickStartedAt(undefined, { startedAt: 'Thu Mar 5 14:30', startedAtVar: 'SYSTEM_PIPELINESTARTTIME' }, now)).toEqual({
      source: 'report',
      warning: 'SYSTEM_PIPELINESTARTTIME ("Thu Mar 5 14:30") is not a usable start time; the reports\' own timestamps decide.',
    })
  })
})

describe('localReportStart', () => {
  const now = Date.parse('2026-03-05T16:00:00Z')
  const junit = (...timestamps: string[]) => Buffer.from(`<?xml version="1.0"?>\n<testsuites name="t">${timestamps
    .map(t => `<testsuite name="s" timestamp="${t}" tests="1"><testcase name="a"/></testsuite>`).join('')}</testsuites>`)
  const zone = process.env.TZ
  afterEach(() => { process.env.TZ = zone })
  it.each([
    ['a local time east of UTC (Tokyo)', 'Asia/Tokyo', [junit('2026-03-06T00:55:00')], { startedAt: '2026-03-05T15:55:00.000Z', written: '2026-03-06T00:55:00', offset: 'UTC+09:00' }],
    ['a half-hour zone, fractions of a second', 'Asia/Kolkata', [junit('2026-03-05T21:25:00.25')], { startedAt: '2026-03-05T15:55:00.250Z', written: '2026-03-05T21:25:00.25', offset: 'UTC+05:30' }],
    ['the first suite of each file, the earliest file', 'Europe/Berlin', [junit('2026-03-05T16:58:00', '2026-03-05T16:30:00'), junit('2026-03-05T16:50:00')],
      { startedAt: '2026-03-05T15:50:00.000Z', written: '2026-03-05T16:50:00', offset: 'UTC+01:00' }],
    ['UTC written without a zone (jest-junit, mocha): not ahead, left to the server', 'Asia/Tokyo', [junit('2026-03-05T15:55:00')], null],
    ['a time with its zone: left to the server', 'Asia/Tokyo', [junit('2026-03-06T00:55:00+09:00')], null],
    ['no timestamp (Playwright JSON, CTRF, a JUnit without one)', 'Asia/Tokyo', [Buffer.from('{"suites":[]}'), junit().subarray(0, 40)], null],
    ['still ahead read in this zone: a wrong clock, left to the server', 'Europe/Berlin', [junit('2026-03-06T09:00:00')], null],
  ])('%s', (_name, tz, contents, expected) => {
    process.env.TZ = tz
    expect(localReportStart(contents, now)).toEqual(expected)
  })
})

const receipt: IngestReceipt = {
  runId: 'r1', runNumber: 1, url: 'https://pd.example/runs/r1', project: 'web', projectId: 'p1', status: 'failed', branch: 'main', commit: SHA, runKey: 'k',
  counts: { tests: 12, passed: 9, failed: 2, errored: 0, skipped: 1, flaky: 1 }, format: 'junit',
  files: [{ name: 'junit.xml', format: 'junit', results: 12, status: 'ingested' }], merged: { shards: 1, duplicates: [] },
  rejected: [{ item: 'junit.xml: a test', reason: 'it has no name' }], errors: [],
  newClusters: Array.from({ length: 14 }, (_, i) => ({ id: `c${i}`, title: `TimeoutError ${i}`, category: 'timeout', occurrences: 2 })),
  newlyFlaky: [],
  failures: { blocking: [{ testCaseId: 't1', title: 'a test', variant: null }], quarantined: [], counts: { blocking: 2, quarantined: 0 } },
  failureGroups: { defaultBranch: 'main', novelty: { new: 2, known: 0 }, groups: [], more: { groups: 0, failures: 0 } },
}

describe('expandPatterns', () => {
  it('expands *, ** and ? in a stable order and reports what matched nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-glob-'))
    mkdirSync(join(dir, 'reports/a'), { recursive: true })
    for (const f of ['reports/junit-1.xml', 'reports/junit-2.xml', 'reports/a/junit-3.xml', 'reports/other.json']) writeFileSync(join(dir, f), 'x')
    expect(expandPatterns(['reports/*.xml'], dir)).toEqual({ files: ['reports/junit-1.xml', 'reports/junit-2.xml'], missing: [] })
    expect(expandPatterns(['reports/**/junit-?.xml', 'nope/*.xml', 'missing.xml'], dir))
      .toEqual({ files: ['reports/a/junit-3.xml', 'reports/junit-1.xml', 'reports/junit-2.xml'], missing: ['nope/*.xml', 'missing.xml'] })
  })
})

function fakeServer(answers: { status: number, body: unknown, headers?: () => Record<string, string> }[], port = 0) {
  const requests: { url: string, auth: string, body: string, at: number }[] = []
  const server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (d) => { body += d })
    req.on('end', () => {
      requests.push({ url: req.url!, auth: req.headers.authorization!, body: body.replace(/-{2,}[\w-]+/g, '--boundary'), at: Date.now() })
      const a = answers[Math.min(requests.length - 1, answers.length - 1)]!
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers?.() }).end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body))
    })
  })
  return new Promise<{ url: string, requests: typeof requests, close: () => void }>(r => server.listen(port, '127.0.0.1', () =>
    r({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests, close: () => server.close() })))
}

function runCli(args: string[], env: Record<string, string>, onStderr?: (text: string) => void, cwd?: string) {
  return new Promise<{ code: number | null, stdout: string, stderr: string }>((res) => {
    const child = spawn(process.execPath, [resolve('cli/proofdeck.mjs'), ...args], { cwd, env: { PATH: process.env.PATH!, PROOFDECK_RETRY_DELAY_MS: '10', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => {
      stderr += d
      onStderr?.(stderr)
    })
    child.on('exit', code => res({ code, stdout, stderr }))
  })
}

describe('proofdeck upload', () => {
  const token = `pd_${'f'.repeat(64)}`
  const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'))
  const report = join(dir, 'junit.xml')
  writeFileSync(report, '<testsuite name="s"><testcase name="t"/></testsuite>')

  it('retries 5xx with the same run key and body, then prints the receipt', async () => {
    const server = await fakeServer([{ status: 503, body: { message: 'busy' } }, { status: 502, body: {} }, { status: 201, body: receipt }])
    const summary = join(dir, 'summary.md')
    const r = await runCli(['upload', report, '--project', 'web', '--summary', summary], { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token })
    server.close()
    expect(r.code).toBe(0)
    expect(server.requests).toHaveLength(3)
    expect(new Set(server.requests.map(q => q.url)).size).toBe(1)
    expect(new Set(server.requests.map(q => q.body)).size).toBe(1)
    expect(server.requests[0]!.url).toMatch(/runKey=cli-[0-9a-f]{24}/)
    expect(server.requests[0]!.auth).toBe(`Bearer ${token}`)
    expect(r.stdout).toContain('web: run #1 failed — 12 tests: 9 passed, 2 failed, 0 errored, 1 skipped (1 flaky)')
    expect(readFileSync(summary, 'utf8')).toContain('Proofdeck: web #1 failed')
    expect(r.stdout + r.stderr).not.toContain(token)
  })

  it.each([
    ['503 with Retry-After in seconds', 503, () => ({ 'retry-after': '2' })],
    ['429 with Retry-After as an HTTP date', 429, () => ({ 'retry-after': new Date(Date.now() + 3000).toUTCString() })],
  ])('waits as long as a %s says before retrying', async (_name, status, headers) => {
    const server = await fakeServer([{ status, body: { message: 'busy' }, headers }, { status: 201, body: receipt }])
    const r = await runCli(['upload', report, '--project', 'web', '--quiet'], { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token })
    server.close()
    expect(r.code).toBe(0)
    expect(server.requests).toHaveLength(2)
    // the fake's base delay is 10 ms: only Retry-After explains a wait of more than a second
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThan(1500)
    expect(r.stderr).toMatch(/retrying in [23] s/)
  })

  it('sends more than 50 files in several uploads with one run key, and prints one receipt for the run', async () => {
    const many = join(dir, 'many')
    mkdirSync(many)
    for (let i = 0; i < 120; i++) writeFileSync(join(many, `junit-${String(i).padStart(3, '0')}.xml`), '<testsuite><testcase name="t"/></testsuite>')
    const part = (i: number) => ({ ...receipt, files: [{ name: `part-${i}.xml`, format: 'junit' as const, results: 1, status: 'ingested' as const }] })
    const server = await fakeServer([{ status: 201, body: part(1) }, { status: 201, body: part(2) }, { status: 201, body: part(3) }])
    const r = await runCli(['upload', join(many, '*.xml'), '--project', 'web', '--json'], { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token })
    server.close()
    expect(r.code).toBe(0)
    expect(server.requests.map(q => q.body.match(/filename=/g)!.length)).toEqual([50, 50, 20])
    expect(new Set(server.requests.map(q => q.url)).size).toBe(1)
    expect(JSON.parse(r.stdout).files.map((f: { name: string }) => f.name)).toEqual(['part-1.xml', 'part-2.xml', 'part-3.xml'])
    expect(r.stderr).toContain('120 files: sending them in 3 uploads of at most 50 files')
  })

  it('outside a CI it knows, keys the run by its content: the same command again is a retry, other content a new run', async () => {
    const server = await fakeServer([201, 200, 201, 201].map(status => ({ status, body: receipt })))
    const env = { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token }
    const other = join(dir, 'other.xml')
    writeFileSync(other, '<testsuite name="s"><testcase name="u"/></testsuite>')
    for (const args of [[report, other], [other, report], [other], [report, '--branch', 'feat/x']]) await runCli(['upload', ...args, '--project', 'web', '--quiet'], env)
    server.close()
    const keys = server.requests.map(q => new URL(q.url, server.url).searchParams.get('runKey'))
    expect(keys[0]).toMatch(/^cli-[0-9a-f]{24}$/)
    // the same files in another order are the same content
    expect(keys[1]).toBe(keys[0])
    expect(new Set(keys).size).toBe(3)
  })

  it('says which run holds the files sent before an upload that was refused, and how to add the rest to it', async () => {
    const many = join(dir, 'refused')
    mkdirSync(many)
    for (let i = 0; i < 60; i++) writeFileSync(join(many, `junit-${String(i).padStart(3, '0')}.xml`), '<testsuite><testcase name="t"/></testsuite>')
    const stored = (i: number) => ({ name: `junit-${i}.xml`, format: 'junit' as const, results: 1, status: 'ingested' as const })
    const first = { ...receipt, files: Array.from({ length: 50 }, (_, i) => stored(i)) }
    const server = await fakeServer([{ status: 201, body: first }, { status: 422, body: { message: 'junit-055.xml: The XML is not well-formed' } }])
    const r = await runCli(['upload', join(many, '*.xml'), '--project', 'web', '--run-key', 'k9'], { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token })
    server.close()
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('Upload rejected (422: junit-055.xml: The XML is not well-formed)')
    expect(r.stderr).toContain('The first 50 of 60 files are stored as run #1 (https://pd.example/runs/r1). To add the rest to that run once fixed, upload again with --run-key k9.')
  })

  it.each([
    ['an empty report', ['empty.xml'], /empty\.xml is empty: there is no report in it\. Nothing was sent\./],
    ['a report of whitespace', ['blank.xml'], /blank\.xml is empty \(only whitespace\): there is no report in it\. Nothing was sent\./],
    ['--retries that is not a number', ['junit.xml', '--retries', 'abc'], /--retries is a whole number, not "abc"\./],
    ['--timeout that is not a number', ['junit.xml', '--timeout', '1m'], /--timeout is a number of seconds, not "1m"\./],
  ])('exits 2 before sending anything on %s', async (_name, [file, ...args], message) => {
    writeFileSync(join(dir, 'empty.xml'), '')
    writeFileSync(join(dir, 'blank.xml'), ' \n\t\n')
    const server = await fakeServer([{ status: 201, body: receipt }])
    const r = await runCli(['upload', join(dir, file!), join(dir, 'junit.xml'), '--project', 'web', ...args], { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token })
    server.close()
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(server.requests).toHaveLength(0)
  })

  it('adds --environment to the CI\'s run key: a matrix leg per configuration is a run of its own', async () => {
    const server = await fakeServer([201, 201].map(status => ({ status, body: receipt })))
    const github = { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '5', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'test' }
    for (const node of ['18', '20 lts']) {
      await runCli(['upload', report, '--project', 'web', '--quiet', '--environment', `node ${node}`], { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token, ...github })
    }
    server.close()
    expect(server.requests.map(q => new URL(q.url, server.url).searchParams.get('runKey'))).toEqual(['gh-5-test-node_18', 'gh-5-test-node_20_lts'])
  })

  it('reads an empty flag as unset: the branch and commit the CI says stand', async () => {
    const server = await fakeServer([{ status: 201, body: receipt }])
    const github = { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '5', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'test', GITHUB_REF_NAME: 'main', GITHUB_SHA: SHA }
    const r = await runCli(['upload', report, '--project', 'web', '--quiet', '--branch', '', '--commit', '', '--run-key', ''],
      { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token, ...github })
    server.close()
    expect(r.code, r.stderr).toBe(0)
    const query = new URL(server.requests[0]!.url, server.url).searchParams
    expect([query.get('branch'), query.get('commit'), query.get('runKey'), query.get('ciAttempt')]).toEqual(['main', SHA, 'gh-5-test', '1'])
  })

  it('sends --shard (or PROOFDECK_SHARD, or CircleCI\'s container) as the server reads it; a shard past its count is a usage error', async () => {
    const server = await fakeServer([201, 201, 201, 201].map(status => ({ status, body: receipt })))
    const env = { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token }
    const circle = { CIRCLECI: 'true', CIRCLE_WORKFLOW_ID: 'w', CIRCLE_JOB: 'test', CIRCLE_NODE_INDEX: '2', CIRCLE_NODE_TOTAL: '3' }
    for (const [args, more] of [[['--shard', ' 02 / 4 '], {}], [[], { PROOFDECK_SHARD: '3/4' }], [[], circle]] as const) {
      const r = await runCli(['upload', report, '--project', 'web', '--quiet', ...args], { ...env, ...more })
      expect(r.code, r.stderr).toBe(0)
    }
    // a run key given, which other jobs may share: the container is still a shard of its job (CIRCLE_JOB), counted apart
    expect((await runCli(['upload', report, '--project', 'web', '--quiet', '--run-key', 'circle-w'], { ...env, ...circle })).code).toBe(0)
    const bad = await runCli(['upload', report, '--project', 'web', '--shard', '5/4'], env)
    const badEnv = await runCli(['upload', report, '--project', 'web'], { ...env, PROOFDECK_SHARD: 'x' })
    server.close()
    const sent = server.requests.map(q => new URL(q.url, server.url).searchParams)
    expect(sent.map(q => q.get('shard'))).toEqual(['2/4', '3/4', '3/3', '3/3'])
    expect(sent.map(q => q.get('job'))).toEqual([null, null, 'test', 'test'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--shard "5/4": give this job\'s shard and the run\'s number of shards, like 2/4')
    expect(badEnv.stderr).toContain('PROOFDECK_SHARD "x": give this job\'s shard')
  })

  it('sends the job whose shards an upload counts among: --job, else PROOFDECK_JOB, else the CI\'s (GitLab\'s without its shard number)', async () => {
    const server = await fakeServer(Array.from({ length: 5 }, () => ({ status: 201, body: receipt })))
    const env = { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token }
    const gitlab = { GITLAB_CI: 'true', CI_PIPELINE_ID: '5', CI_JOB_ID: '8', CI_JOB_NAME: 'e2e 2/4' }
    const github = { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '99', GITHUB_JOB: 'api' }
    for (const [args, more] of [[['--job', ' e2e '], github], [[], { ...github, PROOFDECK_JOB: 'api-suite' }], [[], github], [[], gitlab], [['--job', ''], gitlab]] as const) {
      const r = await runCli(['upload', report, '--project', 'web', '--quiet', '--run-key', 'workflow-1', ...args], { ...env, ...more })
      expect(r.code, r.stderr).toBe(0)
    }
    const long = await runCli(['upload', report, '--project', 'web', '--job', 'j'.repeat(201)], env)
    const broken = await runCli(['upload', report, '--project', 'web'], { ...env, PROOFDECK_JOB: 'e2e\nFAKE' })
    server.close()
    expect(server.requests.map(q => new URL(q.url, server.url).searchParams.get('job'))).toEqual(['e2e', 'api-suite', 'api', 'e2e', 'e2e'])
    expect([long.code, broken.code]).toEqual([2, 2])
    expect(long.stderr).toContain('--job: give the job\'s name in at most 200 characters')
    expect(broken.stderr).toContain('PROOFDECK_JOB: give the job\'s name in at most 200 characters, on one line')
  })

  it('names a report by its path from the working directory (its module and build), one outside it by its file name', async () => {
    const server = await fakeServer([{ status: 201, body: receipt }])
    const build = join(dir, 'api', 'build', 'test-results', 'test')
    mkdirSync(build, { recursive: true })
    writeFileSync(join(build, 'TEST-com.example.AppTests.xml'), '<testsuite name="s"><testcase name="t"/></testsuite>')
    const outside = join(mkdtempSync(join(tmpdir(), 'pd-cli-out-')), 'out.xml')
    writeFileSync(outside, '<testsuite name="o"><testcase name="t"/></testsuite>')
    const r = await runCli(['upload', 'api/build/test-results/test/*.xml', outside, '--project', 'web', '--quiet'],
      { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token }, undefined, dir)
    server.close()
    expect(r.code, r.stderr).toBe(0)
    expect(server.requests[0]!.body.match(/filename="([^"]+)"/g)).toEqual(['filename="api/build/test-results/test/TEST-com.example.AppTests.xml"', 'filename="out.xml"'])
  })

  it('does not retry a 4xx: exits 1 with the server\'s sentence', async () => {
    const server = await fakeServer([{ status: 422, body: { message: 'junit.xml: The XML is not well-formed (line 3, column 2)' } }])
    const r = await runCli(['upload', report, '--project', 'web'], { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token })
    server.close()
    expect(r.code).toBe(1)
    expect(server.requests).toHaveLength(1)
    expect(r.stderr).toContain('The XML is not well-formed (line 3, column 2)')
    expect(r.stdout + r.stderr).not.toContain(token)
  })

  it('exits 2 with a sentence when the token or a file is missing', async () => {
    const noToken = await runCli(['upload', report, '--project', 'web'], { PROOFDECK_URL: 'http://127.0.0.1:9' })
    expect(noToken.code).toBe(2)
    expect(noToken.stderr).toContain('Set PROOFDECK_TOKEN')
    const noFile = await runCli(['upload', join(dir, 'nope.xml'), '--project', 'web'], { PROOFDECK_URL: 'http://127.0.0.1:9', PROOFDECK_TOKEN: token })
    expect(noFile.code).toBe(2)
    expect(noFile.stderr).toContain('No report found at')
  })

  it('uploads the reports it found when another pattern found none (a module that did not compile); --strict exits 1 after', async () => {
    const server = await fakeServer([201, 201].map(status => ({ status, body: receipt })))
    writeFileSync(join(dir, 'failsafe-summary.xml'), '<failsafe-summary result="255" timeout="false"><completed>3</completed></failsafe-summary>')
    const args = ['upload', report, join(dir, 'failsafe-summary.xml'), join(dir, 'legacy', '*.xml'), '--project', 'web']
    const env = { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token }
    const lenient = await runCli(args, env)
    const strict = await runCli([...args, '--strict'], env)
    server.close()
    expect(lenient.code, lenient.stderr).toBe(0)
    expect(lenient.stderr).toContain(`warning: no report found at ${join(dir, 'legacy', '*.xml')}; the run holds the 1 file found.`)
    expect(lenient.stderr).toContain('Left out failsafe-summary.xml')
    expect(strict.code).toBe(1)
    // one file went each time: the report, not the summary
    expect(server.requests.map(r => r.body.match(/filename="([^"]+)"/g))).toEqual([['filename="junit.xml"'], ['filename="junit.xml"']])
  })

  const gitlab = { GITLAB_CI: 'true', CI_JOB_STARTED_AT: '2026-03-05T14:31:02Z' }
  it.each([
    ['--started-at', ['--started-at', '2026-03-04T10:00:00+02:00'], {}, '2026-03-04T08:00:00.000Z'],
    ['GitLab\'s job start', [], gitlab, '2026-03-05T14:31:02.000Z'],
    ['--started-at over GitLab\'s job start', ['--started-at', '2026-03-04T08:00:00Z'], gitlab, '2026-03-04T08:00:00.000Z'],
    ['nowhere with --started-at report', ['--started-at', 'report'], gitlab, null],
    ['nowhere on GitHub Actions (it has no start variable)', [], { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '1' }, null],
  ])('takes the run start from %s', async (_name, args, ciEnv, expected) => {
    const server = await fakeServer([{ status: 201, body: receipt }])
    const r = await runCli(['upload', report, '--project', 'web', '--quiet', ...args],
      { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token, ...ciEnv })
    server.close()
    expect(r.code, r.stderr).toBe(0)
    expect(new URL(server.requests[0]!.url, server.url).searchParams.get('startedAt')).toBe(expected)
  })

  it('exits 2 with a sentence on a --started-at it cannot use, before sending anything', async () => {
    const server = await fakeServer([{ status: 201, body: receipt }])
    const r = await runCli(['upload', report, '--project', 'web', '--started-at', '05/03/2026'],
      { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token })
    server.close()
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--started-at takes an ISO 8601 date-time with a zone')
    expect(server.requests).toHaveLength(0)
  })

  it('gives up after the retries on an unreachable server, saying a re-run is safe', async () => {
    const r = await runCli(['upload', report, '--project', 'web', '--retries', '1', '--retry-for', '0', '--run-key', 'k1'],
      { PROOFDECK_URL: 'http://127.0.0.1:9', PROOFDECK_TOKEN: token })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('Upload failed after 2 attempts')
    expect(r.stderr).toContain('run key k1')
  })

  it('keeps retrying a server that restarts (refused, then proxy error pages) and never prints their HTML', async () => {
    const probe = await fakeServer([])
    const port = Number(new URL(probe.url).port)
    probe.close()
    const page = '<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>'
    let server: Awaited<ReturnType<typeof fakeServer>> | undefined
    let starting: Promise<unknown> | undefined
    const r = await runCli(['upload', report, '--project', 'web', '--retries', '0', '--retry-for', '30'], { PROOFDECK_URL: `http://127.0.0.1:${port}`, PROOFDECK_TOKEN: token }, (stderr) => {
      // the server comes back once the CLI has been refused twice
      if (/attempt 2: cannot reach/.test(stderr) && !starting) {
        starting = fakeServer([
          { status: 503, body: page, headers: () => ({ 'content-type': 'text/html' }) },
          { status: 502, body: page, headers: () => ({ 'content-type': 'text/html' }) },
          { status: 201, body: receipt },
        ], port).then((s) => { server = s })
      }
    })
    await starting
    server?.close()
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/attempt 1: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/)
    expect(r.stderr).toMatch(/server answered 503: Service Unavailable, as an HTML page rather than Proofdeck's JSON/)
    expect(r.stderr).toMatch(/server answered 502: Bad Gateway, as an HTML page/)
    expect(r.stdout + r.stderr).not.toContain('<')
  })

  it('retries a 500 only --retries times', async () => {
    const server = await fakeServer([{ status: 500, body: { message: 'Something went wrong (error id e1).' } }])
    const r = await runCli(['upload', report, '--project', 'web', '--retries', '1'], { PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token })
    server.close()
    expect(r.code).toBe(1)
    expect(server.requests).toHaveLength(2)
    expect(r.stderr).toContain('Upload failed after 2 attempts (500: Something went wrong (error id e1).)')
  })
})
