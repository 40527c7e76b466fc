import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './server'
import { createKey, login } from './client'

const run = promisify(execFile)
const CORPUS = resolve(__dirname, '../../../shared/corpus')

describe('proofdeck CLI against the built server', () => {
  let server: TestServer
  let env: Record<string, string>
  let cookie: string
  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    env = { PATH: process.env.PATH!, PROOFDECK_URL: server.url, PROOFDECK_TOKEN: key, GITHUB_ACTIONS: 'true', GITHUB_REF_NAME: 'main', GITHUB_SHA: 'b'.repeat(40), GITHUB_RUN_ID: '77', GITHUB_JOB: 'e2e', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/web' }
  })
  afterAll(() => server?.stop())

  it('uploads shards with the CI run key into one run and prints the receipt; a re-run changes nothing', async () => {
    const cli = (file: string) => run(process.execPath, ['cli/proofdeck.mjs', 'upload', `${CORPUS}/${file}`, '--project', 'cli'], { env })
    const first = await cli('junit/junitxml__junit-basic.xml')
    expect(first.stdout).toMatch(/cli: run #\d+ failed — 9 tests: 8 passed, 1 failed, 0 errored, 0 skipped/)
    expect(first.stdout).toMatch(new RegExp(`${server.url}/runs/[0-9a-f-]{36}`))
    const second = await cli('ctrf/ctrf__minimal.json')
    expect(second.stdout).toContain('10 tests: 9 passed, 1 failed')
    expect(second.stdout).toContain('merged: 2 uploads in this run (run key gh-77-e2e)')
    const again = await cli('ctrf/ctrf__minimal.json')
    expect(again.stdout).toContain('already stored: ctrf__minimal.json')
    expect(again.stdout).toContain('10 tests')
  })

  it('uploads a green cargo test run, one JUnit document per test binary, as one passed run: --strict exits 0', async () => {
    // cargo test -- -Z unstable-options --format junit (test/fixtures/rust-ledger/gen.sh): unit tests, an integration test, doc-tests
    const file = resolve(__dirname, '../fixtures/reports/cargo-green.xml')
    const { stdout } = await run(process.execPath, ['cli/proofdeck.mjs', 'upload', file, '--project', 'cli-cargo', '--strict'], { env: { ...env, GITHUB_RUN_ID: '3131' } })
    expect(stdout).toMatch(/cli-cargo: run #1 passed — 11 tests: 11 passed, 0 failed, 0 errored, 0 skipped/)
    expect(stdout).toContain('stored: test/fixtures/reports/cargo-green.xml (junit, 11 results)')
  })

  it('a re-run of failed jobs (GITHUB_RUN_ATTEMPT 2) joins its run: the failure that passed again is a pass on retry, the run passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-rerun-'))
    const shard = (name: string, failed: boolean) => {
      const file = join(dir, `${name}-${failed ? 'red' : 'green'}.xml`)
      writeFileSync(file, `<testsuite name="${name}"><testcase classname="${name}" name="works" file="${name}.spec.ts" time="0.1">${failed ? '<failure message="boom">boom</failure>' : ''}</testcase></testsuite>`)
      return file
    }
    const gh = { ...env, GITHUB_RUN_ID: '4242', GITHUB_JOB: 'shards' }
    const upload = (file: string, attempt: string) => run(process.execPath, ['cli/proofdeck.mjs', 'upload', file, '--project', 'cli-rerun', '--json'],
      { env: { ...gh, GITHUB_RUN_ATTEMPT: attempt } })
    await upload(shard('one', false), '1')
    const red = JSON.parse((await upload(shard('two', true), '1')).stdout)
    expect([red.status, red.counts.failed]).toEqual(['failed', 1])
    const again = JSON.parse((await upload(shard('two', false), '2')).stdout)
    expect(again).toMatchObject({ runId: red.runId, runKey: 'gh-4242-shards', status: 'passed', counts: { tests: 2, passed: 2, failed: 0, flaky: 1 } })
    const runs = await (await fetch(`${server.url}/api/projects/cli-rerun/runs`, { headers: { cookie } })).json() as { items: unknown[] }
    expect(runs.items).toHaveLength(1)
  })

  it('matrix legs of one attempt without --environment: a test failing on one leg fails the run, in either order; a re-run of the leg is a retry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-legs-'))
    const leg = (name: string, failed: boolean, time = '0.1') => {
      const file = join(dir, `${name}.xml`)
      writeFileSync(file, `<testsuite name="api"><testcase classname="api" name="parses dates" file="api.spec.ts" time="${time}">${failed ? '<failure message="Invalid Date">Invalid Date</failure>' : ''}</testcase><testcase classname="api" name="works" file="api.spec.ts" time="0.1"/></testsuite>`)
      return file
    }
    const upload = (project: string, runId: string, file: string, attempt: string) => run(process.execPath, ['cli/proofdeck.mjs', 'upload', file, '--project', project, '--json'],
      { env: { ...env, GITHUB_RUN_ID: runId, GITHUB_JOB: 'matrix', GITHUB_RUN_ATTEMPT: attempt } }).then(r => JSON.parse(r.stdout))
    for (const [project, first, second] of [['cli-legs', true, false], ['cli-legs-2', false, true]] as const) {
      await upload(project, '6161', leg(`${project}-node18`, first), '1')
      const both = await upload(project, '6161', leg(`${project}-node20`, second), '1')
      expect(both, project).toMatchObject({ status: 'failed', counts: { tests: 2, failed: 1, flaky: 0 } })
      expect(both.rejected, project).toContainEqual({ item: '2 tests run again in attempt 1 of this CI run', reason: expect.stringContaining('Pass --environment') })
    }
    // GitHub's "Re-run failed jobs" runs the red leg again as attempt 2, and it passes: a pass on retry, as GitHub reads it
    const rerun = await upload('cli-legs', '6161', leg('cli-legs-node18-again', false, '0.2'), '2')
    expect(rerun).toMatchObject({ status: 'passed', counts: { tests: 2, failed: 0, flaky: 1 } })
    expect(rerun.rejected).toEqual([])
  })

  it('a shard whose report is byte-identical to another shard\'s (vitest with more shards than files) is that shard, not a retry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-same-'))
    const report = (name: string, xml: string) => {
      writeFileSync(join(dir, name), xml)
      return join(dir, name)
    }
    // what vitest writes for a shard that got no test file: the same bytes for shard 1/2 and 2/2
    const empty = report('vitest-junit.xml', '<?xml version="1.0" encoding="UTF-8" ?>\n<testsuites name="vitest tests" tests="0" failures="0" errors="0" time="0">\n</testsuites>\n')
    const upload = async (project: string, file: string, ...more: string[]) => {
      const { stdout } = await run(process.execPath, ['cli/proofdeck.mjs', 'upload', file, '--project', project, '--json', ...more],
        { env: { ...env, GITHUB_RUN_ID: '1009', GITHUB_JOB: 'test', GITHUB_RUN_ATTEMPT: '1' } })
      return JSON.parse(stdout)
    }
    const first = await upload('cli-same', empty, '--shard', '1/2')
    expect(first.shards).toMatchObject({ received: 1, missing: ['test 2/2'] })
    const second = await upload('cli-same', empty, '--shard', '2/2')
    expect(second).toMatchObject({ runId: first.runId, files: [{ status: 'ingested' }], merged: { shards: 2 }, shards: { expected: 2, received: 2, missing: [] } })
    const read = await (await fetch(`${server.url}/api/runs/${first.runId}`, { headers: { cookie } })).json() as any
    expect(read.shards).toMatchObject({ expected: 2, received: 2, missing: [] })
    // a true retry of shard 2 (the same shard, the same bytes) stays a duplicate: nothing new, one run
    const retry = await upload('cli-same', empty, '--shard', '2/2')
    expect(retry).toMatchObject({ runId: first.runId, files: [{ status: 'duplicate' }], merged: { shards: 2 } })
    // the same file from another job of the run key is that job's shard
    const lint = await upload('cli-same', empty, '--shard', '1/1', '--job', 'lint')
    expect(lint).toMatchObject({ files: [{ status: 'ingested' }], merged: { shards: 3 }, shards: { expected: 3, received: 3, missing: [] } })
    // identical non-empty shards: the same tests reported twice are one result each, a failure in either fails it
    const two = report('two.xml', '<testsuite name="s"><testcase classname="s" name="adds" file="s.spec.ts" time="0.1"/><testcase classname="s" name="rounds" file="s.spec.ts" time="0.1"><failure message="off by one">off by one</failure></testcase></testsuite>')
    await upload('cli-same-tests', two, '--shard', '1/2')
    const both = await upload('cli-same-tests', two, '--shard', '2/2')
    expect(both).toMatchObject({ status: 'failed', counts: { tests: 2, passed: 1, failed: 1, flaky: 0 }, shards: { received: 2, missing: [] } })
    const runs = await (await fetch(`${server.url}/api/projects/cli-same/runs`, { headers: { cookie } })).json() as { items: unknown[] }
    expect(runs.items).toHaveLength(1)
  })

  it('a job re-run that fails a test the first attempt passed: the run fails, and the test failed and passed on one commit (flaky)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-pass-fail-'))
    const attempt = (n: number, failed: boolean) => {
      const file = join(dir, `attempt-${n}.xml`)
      writeFileSync(file, `<testsuite name="pay"><testcase classname="pay" name="gateway responds" file="pay.spec.ts" time="0.${n}">${failed ? '<failure message="expected 200, received 503">expected 200, received 503</failure>' : ''}</testcase><testcase classname="pay" name="adds tax" file="pay.spec.ts" time="0.1"/></testsuite>`)
      return file
    }
    const upload = async (project: string, file: string, n: number) => JSON.parse((await run(process.execPath, ['cli/proofdeck.mjs', 'upload', file, '--project', project, '--json'],
      { env: { ...env, GITHUB_RUN_ID: '1004', GITHUB_JOB: 'test', GITHUB_RUN_ATTEMPT: String(n) } })).stdout)
    const { key: readKey } = await createKey(server, cookie, { scopes: ['read'] })
    const getTestCase = async (testCaseId: string) => {
      const res = await fetch(`${server.url}/mcp`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'accept': 'application/json', 'authorization': `Bearer ${readKey}`, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_test_case', arguments: { testCaseId } } }),
      })
      return JSON.parse(((await res.json()) as any).result.content[0].text)
    }
    // in either order: a pass then a failure is mixed evidence as a failure then a pass (a pass on retry) is
    for (const [project, firstFails] of [['cli-pass-fail', false], ['cli-fail-pass', true]] as const) {
      await upload(project, attempt(1, firstFails), 1)
      const rerun = await upload(project, attempt(2, !firstFails), 2)
      expect(rerun.status, project).toBe(firstFails ? 'passed' : 'failed')
      expect(rerun.newlyFlaky.map((t: any) => t.name), project).toEqual(['gateway responds'])
      const runRead = await (await fetch(`${server.url}/api/runs/${rerun.runId}?status=all`, { headers: { cookie } })).json() as any
      const result = runRead.results.items.find((r: any) => r.title === 'gateway responds')
      expect(result.attemptDetails.map((a: any) => a.status), project).toEqual(firstFails ? ['failed', 'passed'] : ['passed', 'failed'])
      const page = await (await fetch(`${server.url}/api/test-cases/${result.testCaseId}`, { headers: { cookie } })).json() as any
      const mcp = await getTestCase(result.testCaseId)
      for (const seen of [page, mcp]) {
        expect(seen, project).toMatchObject({ label: 'flaky', score: 1 })
        expect(seen.evidence, project).toMatchObject([{ runId: rerun.runId, kind: firstFails ? 'retry-pass' : 'same-commit-mixed', attempts: 2 }])
      }
      expect([page.retryPasses, page.mixedCommits], project).toEqual(firstFails ? [1, 0] : [0, 1])
    }
  })

  it('--fail-on-blocking judges a shard by its own tests: the shard that failed exits 1, a green shard of the same run 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-verdict-'))
    const shard = (name: string, failed: boolean) => {
      const file = join(dir, `${name}.xml`)
      writeFileSync(file, `<testsuite name="${name}"><testcase classname="${name}" name="works in ${name}" file="${name}.spec.ts" time="0.1">${failed ? '<failure message="boom">boom</failure>' : ''}</testcase></testsuite>`)
      return file
    }
    const upload = (file: string) => new Promise<{ code: number, stderr: string }>((done) => {
      execFile(process.execPath, ['cli/proofdeck.mjs', 'upload', file, '--project', 'cli-verdict', '--fail-on-blocking'],
        { env: { ...env, GITHUB_RUN_ID: '5151', GITHUB_JOB: 'shards' } }, (err, _stdout, stderr) => done({ code: err ? Number(err.code) : 0, stderr }))
    })
    const red = await upload(shard('three', true))
    expect(red.code).toBe(1)
    expect(red.stderr).toContain('1 failure blocking: works in three')
    const green = await upload(shard('four', false))
    expect(green).toMatchObject({ code: 0, stderr: expect.stringContaining('none of this upload\'s tests blocks; 1 failure blocking in other uploads of the run: works in three') })
  })

  const runIdIn = (text: string) => text.match(/\/runs\/([0-9a-f-]{36})/)![1]!
  const startedAtOf = async (runId: string) =>
    ((await (await fetch(`${server.url}/api/runs/${runId}`, { headers: { cookie } })).json()) as { startedAt: string }).startedAt

  const gitlab = (job: string) => ({ GITLAB_CI: 'true', CI_PIPELINE_ID: '5', CI_JOB_ID: job, CI_JOB_STARTED_AT: '2026-03-05T14:31:02Z' })
  it.each([
    ['--started-at', ['--started-at', '2026-03-04T10:00:00+02:00'], {}, '2026-03-04T08:00:00.000Z'],
    ['GitLab\'s job start, over the report\'s timestamp', [], gitlab('9'), '2026-03-05T14:31:02.000Z'],
    ['the report\'s own timestamp with --started-at report', ['--started-at', 'report'], gitlab('10'), '2024-12-02T20:06:10.512Z'],
  ])('stores the run start from %s', async (_name, args, ciEnv, expected) => {
    const { GITHUB_ACTIONS: _, ...base } = env
    const { stdout } = await run(process.execPath, ['cli/proofdeck.mjs', 'upload', `${CORPUS}/junit/action-junit-report__basic.xml`,
      '--project', 'cli-start', ...args], { env: { ...base, ...ciEnv } })
    expect(await startedAtOf(runIdIn(stdout))).toBe(expected)
  })

  it('reads a reporter\'s zone-less local time east of UTC in the runner\'s zone: the true start, nothing rejected, --strict passes', async () => {
    const { GITHUB_ACTIONS: _, ...base } = env
    const started = new Date(Date.now() - 90_000)
    started.setUTCMilliseconds(0)
    // what a reporter writing local time without its zone writes on a runner in Tokyo (UTC+09:00, no daylight saving)
    const tokyo = new Date(started.getTime() + 9 * 3_600_000).toISOString().slice(0, 19)
    const file = join(mkdtempSync(join(tmpdir(), 'pd-tz-')), 'junit.xml')
    writeFileSync(file, `<?xml version="1.0"?><testsuites name="jest tests"><testsuite name="math" timestamp="${tokyo}" time="0.5" tests="1">`
    + '<testcase classname="math" name="adds" time="0.5"/></testsuite></testsuites>')
    const upload = (tz: string, project: string) => run(process.execPath, ['cli/proofdeck.mjs', 'upload', file, '--project', project, '--strict', '--json'],
      { env: { ...base, TZ: tz } })
    const inTokyo = await upload('Asia/Tokyo', 'cli-tz')
    expect(inTokyo.stderr).toContain(`The reports' start ${tokyo} has no zone and is ahead of UTC: read in this machine's zone (UTC+09:00), ${started.toISOString()}.`)
    expect(JSON.parse(inTokyo.stdout).rejected).toEqual([])
    expect(await startedAtOf(runIdIn(inTokyo.stdout))).toBe(started.toISOString())
    // the same report uploaded from a machine in UTC: the server cannot tell the zone, takes the upload's time and says so
    const inUtc = await upload('UTC', 'cli-tz-utc').then(() => null, (error: { code: number, stdout: string }) => error)
    expect(inUtc?.code).toBe(1)
    expect(JSON.parse(inUtc!.stdout).rejected[0].reason).toMatch(/^it is 9 hours ahead of the server's clock/)
  })

  it('creates a project from a pull request\'s upload with the repository\'s default branch, not the pull request\'s', async () => {
    const payload = join(mkdtempSync(join(tmpdir(), 'pd-event-')), 'event.json')
    writeFileSync(payload, JSON.stringify({ number: 12, pull_request: { head: { ref: 'feat/add-proofdeck' } }, repository: { default_branch: 'trunk' } }))
    const pr = { ...env, GITHUB_HEAD_REF: 'feat/add-proofdeck', GITHUB_REF_NAME: '12/merge', GITHUB_EVENT_PATH: payload }
    const upload = (project: string, runId: string, more: Record<string, string> = {}) => run(process.execPath, ['cli/proofdeck.mjs', 'upload',
      `${CORPUS}/junit/junitxml__junit-basic.xml`, '--project', project], { env: { ...pr, GITHUB_RUN_ID: runId, ...more } })
    const project = async (slug: string) => (await (await fetch(`${server.url}/api/projects/${slug}`, { headers: { cookie } })).json()) as { defaultBranch: string }
    await upload('cli-default', '201')
    expect((await project('cli-default')).defaultBranch).toBe('trunk')
    const runs = await (await fetch(`${server.url}/api/projects/cli-default/runs`, { headers: { cookie } })).json() as { items: { branch: string }[] }
    expect(runs.items.map(r => r.branch)).toEqual(['feat/add-proofdeck'])
    // a project that exists keeps its default branch, whatever an upload says
    await upload('cli-default', '202', { GITHUB_EVENT_PATH: '' })
    await run(process.execPath, ['cli/proofdeck.mjs', 'upload', `${CORPUS}/junit/junitxml__junit-basic.xml`, '--project', 'cli-default',
      '--default-branch', 'other'], { env: { ...pr, GITHUB_RUN_ID: '203' } })
    expect((await project('cli-default')).defaultBranch).toBe('trunk')
    // without the payload (an older CLI, a CI that does not say), the upload's own branch, as before
    await upload('cli-no-event', '204', { GITHUB_EVENT_PATH: '' })
    expect((await project('cli-no-event')).defaultBranch).toBe('feat/add-proofdeck')
  })

  it('prints a receipt link and writes a job-summary link that open the run page', async () => {
    const summary = join(mkdtempSync(join(tmpdir(), 'pd-summary-')), 'summary.md')
    const { stdout } = await run(process.execPath, ['cli/proofdeck.mjs', 'upload', `${CORPUS}/junit/junitxml__junit-basic.xml`,
      '--project', 'cli-links', '--run-key', 'links-1'], { env: { ...env, GITHUB_STEP_SUMMARY: summary } })
    const printed = stdout.match(/https?:\/\/\S+\/runs\/[0-9a-f-]{36}/)![0]
    const written = readFileSync(summary, 'utf8').match(/\[Open the run in Proofdeck\]\((\S+?)\)/)![1]!
    expect(written).toBe(printed)
    expect(printed).toBe(`${server.url}/runs/${runIdIn(stdout)}`)
    const page = await fetch(printed, { headers: { cookie } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(await page.text()).toContain('id="__nuxt"')
    // signed out, the link leads to sign-in and back to the run
    const signedOut = await fetch(printed, { redirect: 'manual' })
    expect(signedOut.status).toBe(302)
    expect(decodeURIComponent(signedOut.headers.get('location')!)).toContain(`/login?redirect=/runs/${runIdIn(stdout)}`)
    // the shape the receipts used to print is no page at all
    expect((await fetch(`${server.url}/projects/cli-links/runs/${runIdIn(stdout)}`, { headers: { cookie } })).status).toBe(404)
  })

  it('past 50 files, a refused later batch names the run and the --run-key that completes it once the file is fixed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-batches-'))
    const files = Array.from({ length: 52 }, (_, i) => {
      const file = join(dir, `suite-${String(i).padStart(2, '0')}.xml`)
      writeFileSync(file, `<testsuite name="s${i}"><testcase classname="s${i}" name="t${i}" file="s${i}.spec.ts" time="0.1"/></testsuite>`)
      return file
    })
    writeFileSync(files[51]!, '<testsuite name="s51"><testcase name="t51"></testsuite>')
    const { GITHUB_ACTIONS: _, ...base } = env
    const upload = (...more: string[]) => run(process.execPath, ['cli/proofdeck.mjs', 'upload', ...files, '--project', 'cli-batches', ...more], { env: base })
    const refused = await upload().then(() => null, (error: { code: number, stderr: string }) => error)
    expect(refused?.code).toBe(1)
    const said = refused!.stderr.match(/The first 50 of 52 files are stored as run #(\d+) \((\S+)\)\. To add the rest to that run once fixed, upload again with --run-key (\S+)\./)
    expect(said, refused!.stderr).not.toBeNull()
    const [, number, url, runKey] = said!
    const partial = await (await fetch(url!, { headers: { cookie } })).text()
    expect(partial).toContain('id="__nuxt"')
    expect(((await (await fetch(`${server.url}/api/runs/${url!.split('/').at(-1)}`, { headers: { cookie } })).json()) as { counts: { tests: number } }).counts.tests).toBe(50)
    writeFileSync(files[51]!, '<testsuite name="s51"><testcase classname="s51" name="t51" file="s51.spec.ts" time="0.1"/></testsuite>')
    const completed = await upload('--run-key', runKey!)
    expect(completed.stdout).toContain(`cli-batches: run #${number} passed — 52 tests: 52 passed`)
    const runs = await (await fetch(`${server.url}/api/projects/cli-batches/runs`, { headers: { cookie } })).json() as { items: unknown[] }
    expect(runs.items).toHaveLength(1)
  })

  it('sends the repository\'s CODEOWNERS with an upload: tests get owners, lists filter by them', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'pd-owners-'))
    mkdirSync(join(repo, '.github'))
    writeFileSync(join(repo, '.github/CODEOWNERS'), '*  @acme/all\n/tests/checkout/  @acme/payments @alice\n!tests/legacy/  @acme/old\n')
    const report = (tests: [string, string, boolean][]) => `<testsuite name="s">${tests.map(([name, file, failed]) =>
      `<testcase classname="s" name="${name}" file="${file}" time="0.1">${failed ? '<failure message="boom">boom</failure>' : ''}</testcase>`).join('')}</testsuite>`
    const upload = async (name: string, tests: [string, string, boolean][]) => {
      writeFileSync(join(repo, name), report(tests))
      return run(process.execPath, [resolve('cli/proofdeck.mjs'), 'upload', name, '--project', 'owned', '--run-key', name], { env, cwd: repo })
    }
    const first = await upload('one.xml', [['pays', 'tests/checkout/pay.spec.ts', true], ['finds', 'tests/search.spec.ts', false]])
    expect(first.stderr).toContain('owners: 2 rules from')
    expect(first.stderr).toContain('2 tests owned')
    // a line GitHub would skip is said, with its number
    expect(first.stderr).toMatch(/warning: \S*CODEOWNERS:3 skipped: negation \(!\) is not CODEOWNERS syntax; GitHub skips the line too \(!tests\/legacy\/ {2}@acme\/old\)/)
    // a test this upload creates is owned at ingest, from the CODEOWNERS stored before
    const second = await upload('two.xml', [['refunds', './tests/checkout/refund.spec.ts', true]])
    expect(second.stderr).toContain('(unchanged)')
    const json = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { cookie } })).json() as Promise<any>
    const payments = await json('/api/projects/owned/tests?owner=@acme/payments&sort=title')
    expect(payments.items.map((t: any) => [t.title, t.owners])).toEqual([['pays', ['@acme/payments', '@alice']], ['refunds', ['@acme/payments', '@alice']]])
    expect((await json('/api/projects/owned/owners')).owners).toEqual(['@acme/all', '@acme/payments', '@alice'])
    const clusters = await json('/api/projects/owned/clusters?owner=@alice')
    expect(clusters.items.length).toBeGreaterThan(0)
    expect(clusters.items[0].owners).toEqual(['@acme/payments', '@alice'])
    expect((await json('/api/projects/owned/clusters?owner=@acme/all')).items).toEqual([])
    const failed = await json('/api/projects/owned/failed-results')
    expect(failed.items.every((r: any) => r.owners.includes('@alice'))).toBe(true)
    expect((await json(`/api/test-cases/${payments.items[0].testCaseId}`)).owners).toEqual(['@acme/payments', '@alice'])
    expect((await json('/api/projects/owned/flaky-tests?label=any&owner=@nobody')).items).toEqual([])
    // grouped by owner: the whole filtered list in sections (a test with two owners in both), each cut to `limit` rows
    const sections = (page: any) => page.groups.map((g: any) => [g.owner, g.count, g.items.map((t: any) => t.title)])
    expect(sections(await json('/api/projects/owned/tests?groupBy=owner&sort=title&limit=1'))).toEqual([
      ['@acme/all', 1, ['finds']], ['@acme/payments', 2, ['pays']], ['@alice', 2, ['pays']]])
    expect(sections(await json('/api/projects/owned/clusters?groupBy=owner')).map((g: any) => g.slice(0, 2)))
      .toEqual([['@acme/payments', 1], ['@alice', 1]])
    expect((await json('/api/projects/owned/flaky-tests?label=any&groupBy=owner')).items).toEqual([])
    expect(await json('/api/projects/owned/tests?groupBy=team')).toMatchObject({ statusCode: 400, message: expect.stringContaining('groupBy is owner') })

    const put = (body: string, token = env.PROOFDECK_TOKEN!) => fetch(`${server.url}/api/v1/projects/owned/codeowners`, {
      method: 'PUT', headers: { 'authorization': `Bearer ${token}`, 'content-type': 'text/plain' }, body,
    })
    expect(await (await put('   \n')).json()).toMatchObject({ statusCode: 400, message: expect.stringContaining('empty') })
    const { key: readKey } = await createKey(server, cookie, { scopes: ['read'] })
    expect((await put('* @x', readKey)).status).toBe(403)
    expect((await fetch(`${server.url}/api/v1/projects/nope/codeowners`, {
      method: 'PUT', headers: { authorization: `Bearer ${env.PROOFDECK_TOKEN}` }, body: '* @x',
    })).status).toBe(404)
    // a new CODEOWNERS re-owns every test
    expect(await (await put('tests/search.spec.ts @finders\n')).json()).toMatchObject({ rules: 1, changed: true, ownedTests: 1, skipped: [], skippedCount: 0 })
    expect((await json('/api/projects/owned/owners')).owners).toEqual(['@finders'])
    // tests without an owner are the last section, and `owner=none` is that section's whole list
    expect(sections(await json('/api/projects/owned/tests?groupBy=owner&sort=title'))).toEqual([['@finders', 1, ['finds']], [null, 2, ['pays', 'refunds']]])
    expect(sections(await json('/api/projects/owned/clusters?groupBy=owner')).map((g: any) => g.slice(0, 2))).toEqual([[null, 1]])
    expect((await json('/api/projects/owned/tests?owner=none&sort=title')).items.map((t: any) => t.title)).toEqual(['pays', 'refunds'])
    expect((await json('/api/projects/owned/clusters?owner=none')).items).toHaveLength(1)
  })
})
