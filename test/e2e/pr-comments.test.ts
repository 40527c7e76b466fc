import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, login } from './client'
import { startServer, type TestServer } from './server'

/**
 * The CLI's pull/merge request comment against fake GitHub and GitLab APIs (node:http, recording every request),
 * with the real CLI uploading to the built server: created once, updated in place, new vs already failing on the default
 * branch, every link opening, off by flag or variable, and a refused comment that never fails the upload.
 */

interface Recorded { method: string, url: string, headers: Record<string, string | string[] | undefined>, body: string }
interface FakeApi {
  url: string
  requests: Recorded[]
  notes: { id: number, body: string }[]
  /** Answers every request with this status when set. */
  refuse: number | null
  close: () => void
}

/** A fake comments API: GitHub's issue comments or GitLab's MR notes, two per page, with a Link header to the next. */
function fakeApi(kind: 'github' | 'gitlab'): Promise<FakeApi> {
  const list = kind === 'github' ? '/repos/acme/web/issues/7/comments' : '/api/v4/projects/42/merge_requests/3/notes'
  const one = kind === 'github' ? /^\/repos\/acme\/web\/issues\/comments\/(\d+)$/ : /^\/api\/v4\/projects\/42\/merge_requests\/3\/notes\/(\d+)$/
  const api: FakeApi = {
    url: '', requests: [], refuse: null, close: () => server.close(),
    // comments people wrote before: ours lands on the second page
    notes: [1, 2, 3].map(id => ({ id, body: `LGTM ${id}` })),
  }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => { body += d })
    req.on('end', () => {
      api.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body })
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value))
      if (api.refuse) return json(api.refuse, { message: 'Resource not accessible by integration' })
      const url = new URL(req.url!, 'http://x')
      const id = url.pathname.match(one)?.[1]
      if (url.pathname === list && req.method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? 1)
        const next: Record<string, string> = page * 2 < api.notes.length ? { link: `<${api.url}${list}?per_page=100&page=${page + 1}>; rel="next"` } : {}
        return json(200, api.notes.slice((page - 1) * 2, page * 2), next)
      }
      if (url.pathname === list && req.method === 'POST') {
        const note = { id: 100 + api.notes.length, body: JSON.parse(body).body }
        api.notes.push(note)
        return json(201, note)
      }
      const note = api.notes.find(n => String(n.id) === id)
      if (note && req.method === 'DELETE') {
        api.notes.splice(api.notes.indexOf(note), 1)
        return res.writeHead(204).end()
      }
      if (note && req.method === (kind === 'github' ? 'PATCH' : 'PUT')) {
        note.body = JSON.parse(body).body
        return json(200, note)
      }
      json(404, { message: 'Not Found' })
    })
  })
  return new Promise(r => server.listen(0, '127.0.0.1', () => {
    api.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    r(api)
  }))
}

const STACK = (fn: string) => `    at ${fn} (tests/shop.spec.ts:12:5)`
const failure = (type: string, message: string, fn: string) =>
  `<failure type="${type}" message="${message}">${type}: ${message}\n${STACK(fn)}</failure>`
const TIMEOUT = failure('TimeoutError', 'locator.click: Timeout 5000ms exceeded waiting for #pay', 'pay')
const SERVER_ERROR = failure('AssertionError', 'expected 200, got 500', 'auth')

/** A JUnit report: each test passes unless given a failure (or a flakyFailure: failed, then passed on retry). */
function junit(tests: Record<string, string>) {
  const cases = Object.entries(tests).map(([name, inner]) => `<testcase classname="shop" name="${name}">${inner}</testcase>`)
  return `<?xml version="1.0"?><testsuite name="shop" tests="${cases.length}">${cases.join('')}</testsuite>`
}

describe('pull/merge request comments', () => {
  let server: TestServer
  let cookie: string
  let github: FakeApi
  let gitlab: FakeApi
  let base: Record<string, string>
  const dir = mkdtempSync(join(tmpdir(), 'pd-comments-'))
  const GH_TOKEN = `ghs_${'s'.repeat(36)}`
  const GL_TOKEN = `glpat-${'g'.repeat(20)}`
  const event = join(dir, 'event.json')
  writeFileSync(event, JSON.stringify({ action: 'synchronize', pull_request: { number: 7 } }))

  const report = (name: string, tests: Record<string, string>) => {
    const file = join(dir, name)
    writeFileSync(file, junit(tests))
    return file
  }
  const cli = (file: string, env: Record<string, string>, ...args: string[]) =>
    new Promise<{ code: number, stdout: string, stderr: string }>((resolve) => {
      execFile(process.execPath, ['cli/proofdeck.mjs', 'upload', file, '--project', 'pr-web', ...args], { env: { ...base, ...env } },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }))
    })
  const ghEnv = (runId: string) => ({
    GITHUB_ACTIONS: 'true', GITHUB_HEAD_REF: 'feat/pay', GITHUB_SHA: 'd'.repeat(40), GITHUB_RUN_ID: runId, GITHUB_JOB: 'test',
    GITHUB_REPOSITORY: 'acme/web', GITHUB_EVENT_PATH: event, GITHUB_TOKEN: GH_TOKEN, GITHUB_API_URL: github.url,
  })
  const glEnv = (job: string) => ({
    GITLAB_CI: 'true', CI_COMMIT_REF_NAME: 'feat/pay', CI_PIPELINE_ID: '9', CI_JOB_ID: job, CI_API_V4_URL: `${gitlab.url}/api/v4`,
    CI_PROJECT_ID: '42', CI_MERGE_REQUEST_IID: '3', PROOFDECK_GITLAB_TOKEN: GL_TOKEN,
  })
  const pr = (flaky: boolean, refundsPass: boolean) => ({
    'checkout pays': TIMEOUT, 'checkout refunds': refundsPass ? '' : TIMEOUT, 'login works': SERVER_ERROR, 'signup works': SERVER_ERROR,
    'search is fast': failure('TimeoutError', 'vendor sandbox did not answer', 'search'),
    'cart badge updates': failure('AssertionError', 'expected badge 2, got 1', 'badge'),
    'cart shows items': '', ...(flaky ? { 'profile saves': failure('Error', 'socket hang up', 'profile').replace(/failure/g, 'flakyFailure') } : {}),
  })
  const written = (api: FakeApi, method: string) => api.requests.filter(r => r.method === method)

  beforeAll(async () => {
    ;[server, github, gitlab] = await Promise.all([startServer(), fakeApi('github'), fakeApi('gitlab')])
    cookie = await login(server)
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    base = { PATH: process.env.PATH!, PROOFDECK_URL: server.url, PROOFDECK_TOKEN: key }
  })
  afterAll(async () => {
    github?.close()
    gitlab?.close()
    await server?.stop()
  })

  it('creates one comment on the pull request and updates it on the next upload: causes, new vs already failing, every link opens', async () => {
    // the default branch's history: login works and search is fast fail there, cart badge updates is flaky there
    const main = await cli(report('main.xml', {
      'checkout pays': '', 'checkout refunds': '', 'login works': SERVER_ERROR, 'signup works': '',
      'search is fast': failure('TimeoutError', 'vendor sandbox did not answer', 'search'),
      'cart badge updates': failure('AssertionError', 'expected badge 2, got 1', 'badge').replace(/failure/g, 'flakyFailure'),
      'cart shows items': '',
    }), {}, '--branch', 'main', '--json')
    expect(main.code).toBe(0)
    const mainReceipt = JSON.parse(main.stdout)
    expect(mainReceipt.failureGroups.defaultBranch).toBe('main')
    const searchId = mainReceipt.failures.blocking.find((t: { title: string }) => t.title === 'search is fast').testCaseId
    const q = await fetch(`${server.url}/api/test-cases/${searchId}/quarantine`, {
      method: 'PUT', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'vendor sandbox is down' }),
    })
    expect(q.status).toBe(200)
    expect(github.requests).toHaveLength(0)

    const jobSummary = join(dir, 'step-summary.md')
    const first = await cli(report('pr-1.xml', pr(true, false)), { ...ghEnv('101'), GITHUB_STEP_SUMMARY: jobSummary })
    expect(first.code).toBe(0)
    expect(first.stderr).toContain('commented on pull request #7')
    expect(written(github, 'POST')).toHaveLength(1)
    // the list was read to its last page (Link rel=next) before a comment was made, and again after, for a concurrent one
    expect(github.requests.map(r => `${r.method} ${new URL(r.url, 'http://x').searchParams.get('page') ?? 1}`))
      .toEqual(['GET 1', 'GET 2', 'POST 1', 'GET 1', 'GET 2'])
    const post = written(github, 'POST')[0]!
    expect(post.headers.authorization).toBe(`Bearer ${GH_TOKEN}`)
    expect(post.headers['x-github-api-version']).toBe('2022-11-28')
    const body: string = JSON.parse(post.body).body
    mkdirSync('test/.artifacts', { recursive: true })
    writeFileSync('test/.artifacts/pr-comment.md', body)
    expect(body).toMatch(/^<!-- proofdeck:pr-web:test -->\n### ❌ Proofdeck: pr-web #\d+ failed/)
    // the job summary is the same report
    const runId = first.stdout.match(/\/runs\/([0-9a-f-]{36})/)![1]
    const runNumber = first.stdout.match(/: run #(\d+) /)![1]
    const projectId = body.match(/:1:([0-9a-f-]{36}) -->$/)?.[1]
    expect(projectId).toBeDefined()
    expect(`<!-- proofdeck:pr-web:test -->\n${readFileSync(jobSummary, 'utf8')}<!-- proofdeck-state:${runId}:${runNumber}:1:${projectId} -->`).toBe(body)
    expect(body).toContain('| 8 | 2 | 6 | 0 | 0 | 1 |')
    expect(body).toContain('Failed tests: **3 new** · 2 already failing or flaky on `main` · 1 quarantined')
    expect(body).toMatch(
      /\n\*\*\[locator\.click: Timeout \\<duration\\> exceeded waiting for \\#pay\]\(http\S+\/clusters\/[0-9a-f-]{36}\)\*\* · timeout · 2 failures · 🆕 new cause\n/)
    expect(body).toMatch(/\n\*\*\[expected \\<n\\>, got \\<n\\>\]\(http\S+\/clusters\/[0-9a-f-]{36}\)\*\* · assertion · 2 failures\n/)
    const line = (title: string, text = body) => text.split('\n').find(l => l.startsWith(`- [${title}](`))
    expect(line('checkout pays')).toMatch(/— 🆕 \*\*new\*\*$/)
    expect(line('checkout refunds')).toMatch(/— 🆕 \*\*new\*\*$/)
    expect(line('signup works')).toMatch(/— 🆕 \*\*new\*\*$/)
    // failed in main's latest run; labelled flaky on main though it passed there last
    expect(line('login works')).toMatch(/— already failing or flaky on `main`$/)
    expect(line('cart badge updates')).toMatch(/— already failing or flaky on `main`$/)
    expect(body).toMatch(/#### Quarantined \(1, not blocking\)\n\n- \[search is fast\]\(\S+\) — vendor sandbox is down/)
    // named as the lists name it (the failures above too), not by its whole suite path
    expect(body).toMatch(/#### Newly flaky\n\n- \[profile saves\]\(\S+\/tests\/[0-9a-f-]{36}\) \(score/)
    expect(body).toContain('· `feat/pay` · `ddddddd`')

    // every link opens: pages answer 200, and each test link is the test it names
    const linked = [...body.matchAll(/\[([^\]]+)\]\((http[^)]+)\)/g)].map(m => ({ text: m[1]!, url: m[2]! }))
    expect(linked.length).toBeGreaterThanOrEqual(9)
    for (const { text, url } of linked) {
      expect(url.startsWith(server.url)).toBe(true)
      const page = await fetch(url, { headers: { cookie } })
      expect(page.status, url).toBe(200)
      const id = url.match(/\/tests\/([0-9a-f-]{36})$/)?.[1]
      if (id) {
        const detail = await (await fetch(`${server.url}/api/test-cases/${id}`, { headers: { cookie } })).json() as { title: string }
        expect(text.endsWith(detail.title)).toBe(true)
      }
    }

    // a second run of the pull request: the same comment, updated in place, never a second one
    const second = await cli(report('pr-2.xml', pr(false, true)), ghEnv('102'))
    expect(second.code).toBe(0)
    expect(second.stderr).toContain('updated the comment on pull request #7')
    expect(written(github, 'POST')).toHaveLength(1)
    expect(written(github, 'PATCH')).toHaveLength(1)
    expect(written(github, 'PATCH')[0]!.url).toBe(`/repos/acme/web/issues/comments/${github.notes.at(-1)!.id}`)
    expect(github.notes.filter(n => n.body.includes('<!-- proofdeck:pr-web:test -->'))).toHaveLength(1)
    const updated = github.notes.at(-1)!.body
    expect(updated).toContain('| 7 | 2 | 5 | 0 | 0 | 0 |')
    expect(updated).toContain('Failed tests: **2 new** · 2 already failing or flaky on `main` · 1 quarantined')
    // passed this time: no longer among the failures (its pass after a failure makes it newly flaky, listed below them)
    expect(line('checkout refunds', updated.split('#### Newly flaky')[0])).toBeUndefined()
    expect(line('checkout refunds', updated.slice(updated.indexOf('#### Newly flaky')))).toMatch(/\(score \d/)
    expect(line('checkout pays', updated)).toMatch(/— 🆕 \*\*new\*\*$/)
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain(GH_TOKEN)

    // another job of the pull request (its own run) has a comment of its own: its green run does not hide this red one
    const other = await cli(report('pr-unit.xml', { 'cart shows items': '' }), { ...ghEnv('102'), GITHUB_JOB: 'unit' })
    expect(other.stderr).toContain('commented on pull request #7')
    expect(github.notes.filter(n => n.body.startsWith('<!-- proofdeck:pr-web:unit -->\n### ✅'))).toHaveLength(1)
    expect(github.notes.find(n => n.body.includes('<!-- proofdeck:pr-web:test -->'))!.body).toBe(updated)

    // the project's one comment of an older CLI is taken over by the next job that comments, not left stale beside its own
    github.notes.push({ id: 500, body: '<!-- proofdeck:pr-web -->\n### ❌ Proofdeck: pr-web #1 failed' })
    const taken = await cli(report('pr-e2e.xml', { 'cart shows items': '' }), { ...ghEnv('103'), GITHUB_JOB: 'e2e' })
    expect(taken.stderr).toContain('updated the comment on pull request #7')
    expect(github.notes.find(n => n.id === 500)!.body).toMatch(/^<!-- proofdeck:pr-web:e2e -->\n### ✅/)
    expect(github.notes.filter(n => n.body.includes('<!-- proofdeck:pr-web -->'))).toEqual([])
  })

  it('says ⏳ until a sharded run\'s last shard is in, and a shard\'s late comment never replaces a later upload\'s', async () => {
    const shardEnv = { ...ghEnv('201'), GITHUB_JOB: 'shards' }
    const mine = () => github.notes.filter(n => n.body.includes('<!-- proofdeck:pr-shards:shards -->'))
    const one = await cli(report('shard-1.xml', { 'cart shows items': '' }), shardEnv, '--shard', '1/2', '--project', 'pr-shards')
    expect(one.code, one.stderr).toBe(0)
    expect(mine()).toHaveLength(1)
    expect(mine()[0]!.body).toMatch(/^<!-- proofdeck:pr-shards:shards -->\n### ⏳ Proofdeck: pr-shards #\d+ passing so far · 1 of 2 shards uploaded\n/)
    expect(mine()[0]!.body).toContain('> ⏳ Not uploaded yet: shard 2 of shards.')
    expect(mine()[0]!.body).not.toContain('✅')
    const two = await cli(report('shard-2.xml', { 'checkout pays': '' }), shardEnv, '--shard', '2/2', '--project', 'pr-shards')
    expect(two.stderr).toContain('updated the comment on pull request #7')
    const done = mine()[0]!.body
    expect(done).toMatch(/^<!-- proofdeck:pr-shards:shards -->\n### ✅ Proofdeck: pr-shards #\d+ passed\n/)
    expect(done).toMatch(/\n<!-- proofdeck-state:[0-9a-f-]{36}:\d+:2:[0-9a-f-]{36} -->$/)

    // shard 1's comment reaching GitHub after shard 2's (as a slower runner's would): the comment shows a later
    // state of the run, so it is left as it is; a retry of shard 1 answers with the run as it is now, and may write
    const patches = written(github, 'PATCH').length
    mine()[0]!.body = done.replace(/:2(:[0-9a-f-]{36}) -->$/, ':3$1 -->')
    const late = await cli(report('shard-1.xml', { 'cart shows items': '' }), shardEnv, '--shard', '1/2', '--project', 'pr-shards')
    expect(late.stderr).toContain('left the comment on pull request #7 as it is: a later upload (of this run, or a later run) already updated it')
    expect(written(github, 'PATCH')).toHaveLength(patches)
    mine()[0]!.body = done
    const retry = await cli(report('shard-1.xml', { 'cart shows items': '' }), shardEnv, '--shard', '1/2', '--project', 'pr-shards')
    expect(retry.stderr).toContain('updated the comment on pull request #7')
    expect(mine()[0]!.body).toBe(done)

    // a newer push's run fails its first shard; the older push's run then uploads a shard: the red comment stays
    const newer = await cli(report('push-2.xml', { 'cart shows items': TIMEOUT }), { ...shardEnv, GITHUB_RUN_ID: '202' }, '--shard', '1/2', '--project', 'pr-shards')
    expect(newer.stderr).toContain('updated the comment on pull request #7')
    const red = mine()[0]!.body
    expect(red).toMatch(/^<!-- proofdeck:pr-shards:shards -->\n### ❌ Proofdeck: pr-shards #\d+ failed · 1 of 2 shards uploaded\n/)
    const older = await cli(report('shard-1b.xml', { 'cart shows items': '', 'cart is empty': '' }), shardEnv, '--shard', '1/2', '--project', 'pr-shards')
    expect(older.stderr).toContain('left the comment on pull request #7 as it is')
    expect(mine()[0]!.body).toBe(red)
  })

  it('a project deleted and made again under its slug numbers its runs anew, and its #1 updates the comment of the old one\'s #2', async () => {
    const env = (run: string) => ({ ...ghEnv(run), GITHUB_JOB: 'again' })
    const mine = () => github.notes.filter(n => n.body.includes('<!-- proofdeck:pr-again:again -->'))
    for (const run of ['301', '302']) expect((await cli(report('again.xml', { 'cart shows items': '' }), env(run), '--project', 'pr-again')).code).toBe(0)
    expect(mine()[0]!.body).toMatch(/^<!-- proofdeck:pr-again:again -->\n### ✅ Proofdeck: pr-again #2 passed\n/)
    const gone = await fetch(`${server.url}/api/projects/pr-again`, {
      method: 'DELETE', headers: { cookie, 'origin': server.url, 'content-type': 'application/json' }, body: JSON.stringify({ confirm: 'pr-again' }),
    })
    expect(gone.status, await gone.text()).toBe(204)
    const anew = await cli(report('again.xml', { 'cart shows items': TIMEOUT }), env('303'), '--project', 'pr-again')
    expect(anew.stderr).toContain('updated the comment on pull request #7')
    expect(mine()).toHaveLength(1)
    expect(mine()[0]!.body).toMatch(/^<!-- proofdeck:pr-again:again -->\n### ❌ Proofdeck: pr-again #1 failed/)
  })

  it('makes and then updates one GitLab merge request note; --no-comment and PROOFDECK_COMMENT=0 call nobody; a 403 is one warning and exit 0', async () => {
    const first = await cli(report('gl-1.xml', pr(false, false)), glEnv('1'))
    const second = await cli(report('gl-2.xml', pr(false, true)), glEnv('2'))
    expect([first.code, second.code]).toEqual([0, 0])
    expect(first.stderr).toContain('commented on merge request !3')
    expect(second.stderr).toContain('updated the comment on merge request !3')
    expect(written(gitlab, 'POST')).toHaveLength(1)
    expect(written(gitlab, 'PUT')).toHaveLength(1)
    expect(gitlab.requests.every(r => r.headers['private-token'] === GL_TOKEN)).toBe(true)
    const note = gitlab.notes.find(n => n.body.startsWith('<!-- proofdeck:pr-web -->'))!
    expect(note.body).toContain('Failed tests: **2 new** · 2 already failing or flaky on `main` · 1 quarantined')
    expect(gitlab.notes.filter(n => n.body.includes('proofdeck:pr-web'))).toHaveLength(1)
    expect(first.stderr + second.stderr).not.toContain(GL_TOKEN)

    // a new merge request whose two parallel jobs (a matrix) upload at once: one note stays, whichever job came first
    const marker = '<!-- proofdeck:pr-web -->'
    gitlab.notes.splice(gitlab.notes.findIndex(n => n.body.startsWith(marker)), 1)
    const legs = await Promise.all([cli(report('gl-3.xml', pr(false, false)), glEnv('4')), cli(report('gl-4.xml', pr(false, true)), glEnv('5'))])
    expect(legs.map(l => l.code)).toEqual([0, 0])
    expect(legs.filter(l => l.stderr.includes('commented on merge request !3'))).toHaveLength(1)
    expect(gitlab.notes.filter(n => n.body.startsWith(marker))).toHaveLength(1)

    // named jobs (CI_JOB_NAME) keep a note each: a green unit job does not replace a red e2e job's note
    const named = (job: string, name: string) => ({ ...glEnv(job), CI_JOB_NAME: name })
    await cli(report('gl-unit.xml', pr(false, false)), named('6', 'unit'))
    await cli(report('gl-e2e.xml', pr(false, false)), named('7', 'e2e'))
    const unitAgain = await cli(report('gl-unit-2.xml', { 'cart shows items': '' }), named('8', 'unit'))
    expect(unitAgain.stderr).toContain('updated the comment on merge request !3')
    const byJob = (name: string) => gitlab.notes.filter(n => n.body.startsWith(`<!-- proofdeck:pr-web:${name} -->`))
    expect(byJob('unit')).toHaveLength(1)
    expect(byJob('unit')[0]!.body).toMatch(/^<!-- proofdeck:pr-web:unit -->\n### ✅/)
    expect(byJob('e2e')).toHaveLength(1)
    expect(byJob('e2e')[0]!.body).toMatch(/^<!-- proofdeck:pr-web:e2e -->\n### ❌/)

    // a parallel: job's shards of one run (the docs' recipe) share one note, which ends on the whole run, not on ⏳
    for (const n of [1, 2]) {
      await cli(report(`gl-pytest-${n}.xml`, { [`shard ${n} works`]: '' }), named(String(20 + n), `pytest ${n}/2`), '--run-key', 'gl-9-pytest', '--shard', `${n}/2`)
    }
    expect(byJob('pytest')).toHaveLength(1)
    expect(byJob('pytest')[0]!.body).toMatch(/^<!-- proofdeck:pr-web:pytest -->\n### ✅/)
    expect(gitlab.notes.filter(n => n.body.includes('proofdeck:pr-web:pytest%20'))).toHaveLength(0)

    const before = github.requests.length + gitlab.requests.length
    const off = await cli(report('off-1.xml', pr(false, false)), ghEnv('103'), '--no-comment')
    const offByEnv = await cli(report('off-2.xml', pr(false, false)), { ...glEnv('3'), PROOFDECK_COMMENT: '0' })
    expect([off.code, offByEnv.code]).toEqual([0, 0])
    expect(github.requests.length + gitlab.requests.length).toBe(before)
    expect(off.stderr + offByEnv.stderr).not.toMatch(/comment/)

    github.refuse = 403
    const refused = await cli(report('refused.xml', pr(false, false)), ghEnv('104'), '--fail-on-blocking')
    // exit 1 is --fail-on-blocking's verdict on the tests; without it the refused comment leaves exit 0
    expect(refused.code).toBe(1)
    const warnings = refused.stderr.split('\n').filter(l => l.startsWith('warning:'))
    expect(warnings).toEqual([expect.stringMatching(/^warning: no comment on pull request #7: GitHub answered 403 \(GET\); .*permissions: pull-requests: write/)])
    const plain = await cli(report('refused-2.xml', pr(false, false)), ghEnv('105'))
    expect(plain.code).toBe(0)
    expect(plain.stderr).toContain('GitHub answered 403')
    expect(refused.stdout + refused.stderr + plain.stdout + plain.stderr).not.toContain(GH_TOKEN)
  })
})
