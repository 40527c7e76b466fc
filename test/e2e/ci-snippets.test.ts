import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

const run = promisify(execFile)
const CORPUS = resolve(__dirname, '../../../shared/corpus')
const REPORT = `${CORPUS}/junit/junitxml__junit-basic.xml`
const DOC = resolve(__dirname, '../../docs/ci.md')
const SHA = '3f786850e387550fdab836ed7e6dc881de23001b'

interface CiCase {
  /** The heading of its section in docs/ci.md. */
  section: string
  /** The variables the CI sets in the job, as it would set them. */
  env: Record<string, string>
  /** `job`: the job the CLI names its upload's (jobs that share a run key count their shards apart); null: none. */
  expected: { branch: string, commit: string, buildUrl: string, runKey: string, startedAt?: string, job: string | null }
  /** What the CI does to a command before the shell sees it. */
  unescape?: (command: string) => string
}

const CASES: CiCase[] = [
  {
    section: 'GitHub Actions',
    env: {
      CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main', GITHUB_HEAD_REF: '',
      GITHUB_SHA: SHA, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/web', GITHUB_RUN_ID: '9876543210',
      GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'test',
    },
    expected: {
      branch: 'main', commit: SHA, buildUrl: 'https://github.com/acme/web/actions/runs/9876543210', runKey: 'gh-9876543210-test', job: 'test',
    },
  },
  {
    section: 'GitLab CI',
    env: {
      CI: 'true', GITLAB_CI: 'true', CI_COMMIT_REF_NAME: 'feature/login', CI_COMMIT_BRANCH: 'feature/login', CI_COMMIT_SHA: SHA,
      CI_COMMIT_MESSAGE: 'Log in with SSO', CI_JOB_URL: 'https://gitlab.com/acme/web/-/jobs/6012',
      CI_PIPELINE_URL: 'https://gitlab.com/acme/web/-/pipelines/1200', CI_PIPELINE_ID: '1200', CI_JOB_ID: '6012', CI_JOB_NAME: 'test 1/4',
      CI_JOB_STARTED_AT: '2026-03-05T14:31:02Z', CI_PIPELINE_CREATED_AT: '2026-03-05T14:30:00Z',
      CI_NODE_INDEX: '1', CI_NODE_TOTAL: '4',
    },
    expected: {
      branch: 'feature/login', commit: SHA, buildUrl: 'https://gitlab.com/acme/web/-/jobs/6012', runKey: 'gl-1200-6012',
      startedAt: '2026-03-05T14:31:02.000Z', job: 'test',
    },
  },
  {
    section: 'Jenkins',
    env: {
      JENKINS_URL: 'https://jenkins.acme.test/', BUILD_URL: 'https://jenkins.acme.test/job/web/job/main/42/',
      BUILD_TAG: 'jenkins-web-main-42',
      BUILD_NUMBER: '42', JOB_NAME: 'web/main', BRANCH_NAME: 'main', GIT_BRANCH: 'main', GIT_COMMIT: SHA,
    },
    expected: {
      branch: 'main', commit: SHA, buildUrl: 'https://jenkins.acme.test/job/web/job/main/42/', runKey: `jenkins-web-main-42-${SHA.slice(0, 12)}`, job: 'web/main',
    },
  },
  {
    section: 'CircleCI',
    env: {
      CI: 'true', CIRCLECI: 'true', CIRCLE_BRANCH: 'main', CIRCLE_SHA1: SHA, CIRCLE_BUILD_URL: 'https://circleci.com/gh/acme/web/311',
      CIRCLE_BUILD_NUM: '311', CIRCLE_WORKFLOW_ID: '6d1b0b9e-5c1f-4e7a-9a4e-2f0c8f1a7b3d', CIRCLE_JOB: 'test',
      CIRCLE_NODE_INDEX: '0', CIRCLE_NODE_TOTAL: '1',
    },
    expected: {
      branch: 'main', commit: SHA, buildUrl: 'https://circleci.com/gh/acme/web/311',
      runKey: 'circle-6d1b0b9e-5c1f-4e7a-9a4e-2f0c8f1a7b3d-test', job: 'test',
    },
  },
  {
    section: 'Buildkite',
    env: {
      CI: 'true', BUILDKITE: 'true', BUILDKITE_BRANCH: 'main', BUILDKITE_COMMIT: SHA, BUILDKITE_MESSAGE: 'Log in with SSO',
      BUILDKITE_BUILD_URL: 'https://buildkite.com/acme/web/builds/88', BUILDKITE_BUILD_ID: '01890f3e-0000-4000-8000-000000000088',
      BUILDKITE_JOB_ID: '01890f3e-0000-4000-8000-0000000000aa', BUILDKITE_STEP_ID: '01890f3e-0000-4000-8000-0000000000bb',
      BUILDKITE_PARALLEL_JOB: '0', BUILDKITE_PARALLEL_JOB_COUNT: '4', BUILDKITE_STEP_KEY: 'tests', BUILDKITE_LABEL: ':test_tube: Tests 1',
    },
    expected: {
      branch: 'main', commit: SHA, buildUrl: 'https://buildkite.com/acme/web/builds/88',
      runKey: 'bk-01890f3e-0000-4000-8000-000000000088-01890f3e-0000-4000-8000-0000000000aa', job: 'tests',
    },
    // the agent gets the command after pipeline upload, where "$$" stands for "$"
    unescape: command => command.replaceAll('$$', '$'),
  },
  {
    section: 'Azure Pipelines',
    env: {
      TF_BUILD: 'True', BUILD_SOURCEBRANCH: 'refs/heads/main', BUILD_SOURCEBRANCHNAME: 'main', BUILD_SOURCEVERSION: SHA,
      BUILD_SOURCEVERSIONMESSAGE: 'Log in with SSO', SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/',
      SYSTEM_TEAMPROJECT: 'Fabrikam Fiber', BUILD_BUILDID: '512', SYSTEM_JOBID: '12f1170f-54f2-53f3-20dd-22fc7dff55f9',
      SYSTEM_PIPELINESTARTTIME: '2026-03-05 14:30:00+00:00',
    },
    expected: {
      branch: 'main', commit: SHA, buildUrl: 'https://dev.azure.com/acme/Fabrikam%20Fiber/_build/results?buildId=512',
      runKey: 'azure-512-12f1170f-54f2-53f3-20dd-22fc7dff55f9', startedAt: '2026-03-05T14:30:00.000Z', job: null,
    },
  },
]

/**
 * Every upload command in the fenced code blocks of one "## <section>" of docs/ci.md, as written there: the whole
 * line less the YAML list dash and key (`run:`, `command:`, `script:`) or Groovy's `sh '…'` around it, so anything
 * written before `npx` on that line runs too.
 */
function uploadCommands(doc: string, section: string): string[] {
  const body = doc.split(/^## /m).find(s => s.startsWith(`${section}\n`))
  if (!body) throw new Error(`docs/ci.md has no "## ${section}" section`)
  const blocks = [...body.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)].map(m => m[1]!)
  return blocks.flatMap(b => b.split('\n').filter(line => line.includes('/cli.tgz" upload')))
    .map(line => line.trim().replace(/^- /, '').replace(/^(?:run|command|script): /, '').replace(/^sh '(.*)'$/, '$1'))
}

/** The report the command names, made where it looks: a glob's "**" and "*" filled in with one real report. */
function placeReport(command: string, cwd: string) {
  const pattern = command.match(/ upload "?([^"\s]+)"?/)![1]!
  const file = join(cwd, pattern.replaceAll('**', 'test').replaceAll('*', 'junit'))
  mkdirSync(dirname(file), { recursive: true })
  copyFileSync(REPORT, file)
}

describe('the CI snippets of docs/ci.md against the built server', () => {
  const doc = readFileSync(DOC, 'utf8')
  let server: TestServer
  let cookie: string
  let token: string
  let cache: string
  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    token = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    cache = mkdtempSync(join(tmpdir(), 'proofdeck-ci-snippets-'))
  })
  afterAll(async () => {
    await server?.stop()
    rmSync(cache, { recursive: true, force: true })
  })

  it('has a section with an upload command for each of the six CIs, and no other', () => {
    expect(doc.match(/^## .+$/gm)!.map(h => h.slice(3))).toEqual(CASES.map(c => c.section))
    for (const c of CASES) expect(uploadCommands(doc, c.section).length, c.section).toBeGreaterThan(0)
    // none escapes the extraction: every upload line under a CI's heading is one the next test runs
    const written = doc.slice(doc.indexOf('\n## ')).match(/cli\.tgz" upload/g)!.length
    expect(CASES.flatMap(c => uploadCommands(doc, c.section))).toHaveLength(written)
  })

  it.each(CASES)('$section: every upload command runs as written and the run carries the CI\'s metadata', async (ci) => {
    for (const [i, written] of uploadCommands(doc, ci.section).entries()) {
      const command = ci.unescape ? ci.unescape(written) : written
      const cwd = mkdtempSync(join(cache, 'job-'))
      expect(command, 'the form README and docs/cli.md show').toMatch(/npx --yes "\$PROOFDECK_URL\/cli\.tgz" upload /)
      placeReport(command, cwd)
      const env = {
        PATH: process.env.PATH!, HOME: cache, npm_config_cache: join(cache, 'npm'), npm_config_update_notifier: 'false',
        PROOFDECK_URL: server.url, PROOFDECK_TOKEN: token, ...ci.env,
      }
      const { stdout } = await run('sh', ['-c', command], { env, cwd }).catch((err) => {
        throw new Error(`${ci.section} #${i}: ${command}\nexit ${err.code}\n${err.stdout}\n${err.stderr}`)
      })
      expect(stdout).toMatch(/run #\d+ failed — 9 tests: 8 passed, 1 failed/)
      const link = stdout.match(new RegExp(`${server.url}/runs/[0-9a-f-]{36}`))![0]
      const runId = link.split('/').at(-1)!

      const detail = await (await fetch(`${server.url}/api/runs/${runId}`, { headers: { cookie } })).json()
      const { branch, commit, buildUrl } = ci.expected
      expect(detail, command).toMatchObject({ project: 'web', branch, commit, buildUrl })
      if (ci.expected.startedAt) expect(detail.startedAt).toBe(ci.expected.startedAt)
      expect(detail.uploads.at(-1).job ?? null, 'the job the CLI names from the CI').toBe(ci.expected.job)
      // a --shard the docs write expands to this job's shard, and the run counts it in, among the job's own
      const shard = command.match(/--shard "([^"]+)"/)?.[1]
      if (shard) {
        const said = (await run('sh', ['-c', `printf %s "${shard}"`], { env })).stdout
        const [index, total] = said.split('/').map(Number)
        expect(detail.shards, `${shard} as ${said}`).toMatchObject({ expected: total, received: 1 })
        expect(detail.shards.jobs, 'one job\'s shards').toEqual([{ job: ci.expected.job, expected: total, received: 1, missing: expect.not.arrayContaining([index]) }])
      }

      // the run is stored under its key: the same report again under that key answers with this run
      const explicit = command.match(/--run-key "([^"]+)"/)?.[1]
      const runKey = explicit ? (await run('sh', ['-c', `printf %s "${explicit}"`], { env })).stdout : ci.expected.runKey
      if (explicit) expect(runKey, `${explicit} expands with no variable left empty`).toMatch(/^[a-z]+-[\w-]*\w$/)
      expect(runKey).not.toContain('--')
      const again = await upload(server, [{ name: 'junitxml__junit-basic.xml', content: readFileSync(REPORT) }],
        { key: token, query: { project: 'web', runKey } })
      expect([200, 201]).toContain(again.status)
      expect(again.body.runId).toBe(runId)

      expect((await fetch(link, { headers: { cookie } })).status).toBe(200)
    }
  })
})
