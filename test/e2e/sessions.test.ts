import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryDb, startServer, TEST_ADMIN, type TestServer } from './server'
import { createKey, login, upload } from './client'

/** A JSON request as the dashboard sends it (cookie session). */
function call(server: TestServer, cookie: string, method: string, path: string, body?: unknown) {
  return fetch(`${server.url}${path}`, {
    method, headers: { 'content-type': 'application/json', cookie }, body: body === undefined ? undefined : JSON.stringify(body),
  })
}

/** A sign-in attempt, optionally as if relayed by a proxy for `forwardedFor`. */
function signIn(server: TestServer, creds: { email: string, password: string }, forwardedFor?: string, forwardedProto?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (forwardedFor) headers['x-forwarded-for'] = forwardedFor
  if (forwardedProto) headers['x-forwarded-proto'] = forwardedProto
  return fetch(`${server.url}/api/auth/login`, { method: 'POST', headers, body: JSON.stringify(creds) })
}

const statusOf = async (res: Promise<Response>) => (await res).status

/** Whether a sign-in answer's session cookie carries the Secure flag. */
async function secureCookie(res: Promise<Response>) {
  const answer = await res
  expect(answer.status).toBe(200)
  return /;\s*Secure(;|$)/i.test(answer.headers.getSetCookie().find(c => c.startsWith('nuxt-session=')) ?? '')
}

describe('server-side sessions', () => {
  let server: TestServer
  let admin: string
  beforeAll(async () => {
    server = await startServer()
    admin = await login(server)
  })
  afterAll(() => server?.stop())

  async function createUser(email: string) {
    const res = await call(server, admin, 'POST', '/api/users', { email, name: email.split('@')[0], role: 'member' })
    expect(res.status).toBe(201)
    const { user, generatedPassword } = await res.json()
    return { id: user.id as string, email, password: generatedPassword as string }
  }

  it('after logout a copy of the cookie no longer works', async () => {
    const cookie = await login(server)
    expect(await statusOf(call(server, cookie, 'GET', '/api/me'))).toBe(200)
    expect(await statusOf(call(server, cookie, 'POST', '/api/auth/logout'))).toBe(200)
    expect(await statusOf(call(server, cookie, 'GET', '/api/me'))).toBe(401)
    expect(await statusOf(call(server, cookie, 'POST', '/api/keys', { name: 'stolen', scopes: ['read'] }))).toBe(401)
    expect(await (await call(server, cookie, 'GET', '/api/_auth/session')).json()).not.toHaveProperty('user')
    // the other session of the same user is untouched
    expect(await statusOf(call(server, admin, 'GET', '/api/me'))).toBe(200)
  })

  it('a password change ends the other sessions and keeps this one', async () => {
    const u = await createUser('pat@example.test')
    const kept = await login(server, u)
    const other = await login(server, u)
    const res = await call(server, kept, 'PUT', '/api/me/password', { currentPassword: u.password, newPassword: 'a brand new password' })
    expect(res.status).toBe(200)
    const renewed = res.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
    expect(await statusOf(call(server, other, 'GET', '/api/me'))).toBe(401)
    expect(await statusOf(call(server, renewed, 'GET', '/api/me'))).toBe(200)
  })

  it('deactivation ends sessions for good: reactivating does not revive an old cookie', async () => {
    const u = await createUser('dee@example.test')
    const cookie = await login(server, u)
    expect(await statusOf(call(server, admin, 'PATCH', `/api/users/${u.id}`, { active: false }))).toBe(200)
    expect(await statusOf(call(server, cookie, 'GET', '/api/me'))).toBe(401)
    expect(await statusOf(call(server, admin, 'PATCH', `/api/users/${u.id}`, { active: true }))).toBe(200)
    expect(await statusOf(call(server, cookie, 'GET', '/api/me'))).toBe(401)
    expect(await statusOf(call(server, await login(server, u), 'GET', '/api/me'))).toBe(200)
  })

  it('an admin signs a user out everywhere; nobody else may', async () => {
    const u = await createUser('eve@example.test')
    const first = await login(server, u)
    const second = await login(server, u)
    const refused = await call(server, first, 'POST', `/api/users/${u.id}/sessions/revoke`)
    expect(refused.status).toBe(403)
    const res = await call(server, admin, 'POST', `/api/users/${u.id}/sessions/revoke`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ revoked: 2 })
    expect(await statusOf(call(server, first, 'GET', '/api/me'))).toBe(401)
    expect(await statusOf(call(server, second, 'GET', '/api/me'))).toBe(401)
    expect(await statusOf(call(server, admin, 'GET', '/api/me'))).toBe(200)
    expect(await statusOf(call(server, admin, 'POST', '/api/users/00000000-0000-4000-8000-000000000000/sessions/revoke'))).toBe(404)
  })

  it('every icon a page draws has its CSS in that page, on the first render after a start and on the next', async () => {
    // LayoutIcon draws an icon's span itself once the process knows its CSS, and adds the CSS where @nuxt/icon does
    const { key } = await createKey(server, admin, { scopes: ['ingest'] })
    const junit = '<testsuite name="s" tests="1"><testcase classname="a" name="fails"><failure message="boom">at a.ts:1</failure></testcase></testsuite>'
    const { body: receipt } = await upload(server, [{ name: 'r.xml', content: junit }], { key, query: { project: 'icons', branch: 'main' } })
    const cookie = await login(server)
    for (const round of ['first', 'next']) {
      for (const path of ['/', '/projects/icons', `/runs/${receipt.runId}`, '/projects/icons/flaky', '/settings/keys']) {
        const html = await (await fetch(`${server.url}${path}`, { headers: { cookie } })).text()
        const icons = [...new Set([...html.matchAll(/class="iconify i-lucide:([a-z0-9-]+)/g)].map(m => m[1]!))]
        expect(icons.length, `${round} ${path}`).toBeGreaterThan(5)
        const css = [...html.matchAll(/<style[^>]*>([^<]*)<\/style>/g)].map(m => m[1]).join('')
        expect(icons.filter(icon => !css.includes(`:where(.i-lucide\\:${icon}){`)), `${round} ${path}`).toEqual([])
      }
    }
  })

  it.runIf(process.env.TEST_DATABASE_URL)('a page\'s server render reads its session and the project list once', async () => {
    // pg_stat_statements counts each statement as it runs: the API reads a render makes in-process each checked the
    // session again, and each component that shows the projects read the list again (six to eight and four to five)
    const db = server.env
    const loaded = await queryDb(db, `select 1 from pg_settings where name = 'shared_preload_libraries' and setting like '%pg_stat_statements%'`)
    expect(loaded, 'start the test Postgres with -c shared_preload_libraries=pg_stat_statements, as .ci/run does').toHaveLength(1)
    await queryDb(db, 'create extension if not exists pg_stat_statements')
    const { key } = await createKey(server, admin, { scopes: ['ingest'] })
    const junit = '<testsuite name="s" tests="2"><testcase classname="a" name="passes"/><testcase classname="a" name="fails"><failure message="boom">at a.ts:1</failure></testcase></testsuite>'
    const { body: receipt } = await upload(server, [{ name: 'r.xml', content: junit }], { key, query: { project: 'render', branch: 'main' } })
    const cookie = await login(server)
    const reads = async () => Object.fromEntries((await queryDb<{ what: string, calls: number }>(db, `
      select case when query like '%from "sessions"%' then 'session' else 'projects' end as what, sum(calls)::int as calls
      from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
        and (query like '%from "sessions"%' or query like '%left join "project_rollups"%') group by 1`)).map(r => [r.what, r.calls]))
    for (const path of ['/', '/projects/render', `/runs/${receipt.runId}`, '/projects/render/flaky']) {
      const before = await reads()
      const page = await fetch(`${server.url}${path}`, { headers: { cookie } })
      expect(page.status, path).toBe(200)
      expect(await page.text(), path).toContain('render')
      const after = await reads()
      const delta = (what: string) => (after[what] ?? 0) - (before[what] ?? 0)
      expect([path, delta('session'), delta('projects')]).toEqual([path, 1, path === '/projects/render' ? 2 : 1])
    }
    // a render's reads are shared within that render only: a revoked session is refused by the next page
    expect(await statusOf(call(server, cookie, 'POST', '/api/auth/logout'))).toBe(200)
    expect((await fetch(`${server.url}/projects/render`, { headers: { cookie }, redirect: 'manual' })).status).toBe(302)
  })

  it.runIf(process.env.TEST_DATABASE_URL)('a second instance on the same database sees the logout at once', async () => {
    const twin = await startServer({ DATABASE_URL: server.env.DATABASE_URL! })
    try {
      const cookie = await login(server)
      expect(await statusOf(call(twin, cookie, 'GET', '/api/me'))).toBe(200)
      expect(await statusOf(call(server, cookie, 'POST', '/api/auth/logout'))).toBe(200)
      expect(await statusOf(call(twin, cookie, 'GET', '/api/me'))).toBe(401)
    }
    finally {
      await twin.kill()
    }
  })
})

describe('sign-in throttling', () => {
  let server: TestServer
  beforeAll(async () => { server = await startServer({ PROOFDECK_TRUSTED_PROXIES: '127.0.0.1' }) })
  afterAll(() => server?.stop())

  it('wrong passwords from one client slow that client down, not the right password from another', async () => {
    const wrong = { email: TEST_ADMIN.email, password: 'not the password' }
    const answers: Response[] = []
    for (let i = 0; i < 15; i++) answers.push(await signIn(server, wrong, '198.51.100.1'))
    expect(answers.slice(0, 5).map(r => r.status)).toEqual([401, 401, 401, 401, 401])
    expect(await statusOf(signIn(server, TEST_ADMIN, '198.51.100.2'))).toBe(200)
    // the guessing client waits, even with the right password, and is told how long
    expect(await statusOf(signIn(server, TEST_ADMIN, '198.51.100.1'))).toBe(429)
    const throttled = answers.find(r => r.status === 429)!
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await throttled.json()).message).toMatch(/Too many failed sign-ins.*Try again in \d+ seconds?\./)
  })

  it('limits failures per client, keyed by X-Forwarded-For from a trusted proxy', async () => {
    for (let i = 0; i < 50; i++) await signIn(server, { email: `nobody${i}@example.test`, password: 'guess guess' }, '203.0.113.7')
    const limited = await signIn(server, { email: 'another@example.test', password: 'guess guess' }, '203.0.113.7')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    // the client is the right-most address the trusted proxy saw: a forged left-most entry does not make a new one
    expect(await statusOf(signIn(server, TEST_ADMIN, '10.9.9.9, 203.0.113.7'))).toBe(429)
    expect(await statusOf(signIn(server, TEST_ADMIN, '203.0.113.8'))).toBe(200)
  })

  it('marks the session cookie Secure when the trusted proxy says the browser came over HTTPS, not over plain HTTP', async () => {
    expect(await secureCookie(signIn(server, TEST_ADMIN, '203.0.113.20', 'https'))).toBe(true)
    expect(await secureCookie(signIn(server, TEST_ADMIN, '203.0.113.21', 'http'))).toBe(false)
    expect(await secureCookie(signIn(server, TEST_ADMIN))).toBe(false)
    expect(server.logs()).toMatch(/PROOFDECK_PUBLIC_URL is not set: requests over plain HTTP get a session cookie without the Secure flag/)
  })
})

describe('X-Forwarded-For from an untrusted peer', () => {
  let server: TestServer
  beforeAll(async () => { server = await startServer({ PROOFDECK_PUBLIC_URL: 'https://proofdeck.example.com' }) })
  afterAll(() => server?.stop())

  it('nor its X-Forwarded-Proto; an https PROOFDECK_PUBLIC_URL makes the session cookie Secure on every request', async () => {
    expect(await secureCookie(signIn(server, TEST_ADMIN, undefined, 'http'))).toBe(true)
    expect(server.logs()).not.toMatch(/plain HTTP/)
  })

  it('is ignored: a forged header does not make a new client', async () => {
    for (let i = 0; i < 50; i++) await signIn(server, { email: `nobody${i}@example.test`, password: 'guess guess' }, `203.0.113.${i}`)
    expect(await statusOf(signIn(server, TEST_ADMIN, '198.51.100.99'))).toBe(429)
  })
})

describe('security headers', () => {
  let server: TestServer
  let cookie: string
  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
  })
  afterAll(() => server?.stop())

  it('believes X-Forwarded-Proto only from a trusted proxy: here the session cookie stays without Secure', async () => {
    expect(await secureCookie(signIn(server, TEST_ADMIN, undefined, 'https'))).toBe(false)
  })

  function expectBaseHeaders(res: Response) {
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toMatch(/default-src 'self'/)
    expect(csp).toMatch(/object-src 'none'/)
    expect(csp).toMatch(/base-uri 'self'/)
    expect(csp).toMatch(/frame-ancestors 'none'/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
  }

  it('on a page, an API answer, an error and /mcp; no-store on the API', async () => {
    const page = await fetch(`${server.url}/login`)
    expect(page.status).toBe(200)
    expectBaseHeaders(page)
    expect(page.headers.get('cache-control')).toBe('no-store')
    const signedIn = await fetch(`${server.url}/`, { headers: { cookie } })
    expect([signedIn.status, signedIn.headers.get('cache-control')]).toEqual([200, 'no-store'])

    const me = await call(server, cookie, 'GET', '/api/me')
    expect(me.status).toBe(200)
    expectBaseHeaders(me)
    expect(me.headers.get('cache-control')).toBe('no-store')

    const projects = await call(server, cookie, 'GET', '/api/projects')
    expect(projects.headers.get('cache-control')).toBe('no-store')

    // error answers keep Nitro's stricter set: no script at all, no referrer
    const denied = await fetch(`${server.url}/api/me`)
    expect(denied.status).toBe(401)
    expect(denied.headers.get('content-security-policy')).toMatch(/script-src 'none'.*frame-ancestors 'none'/)
    expect(denied.headers.get('x-content-type-options')).toBe('nosniff')
    expect(denied.headers.get('referrer-policy')).toBe('no-referrer')
    expect(denied.headers.get('cache-control')).toBe('no-store')

    const mcp = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(mcp.status).toBe(401)
    expectBaseHeaders(mcp)
    expect(mcp.headers.get('cache-control')).toBe('no-store')
  })
})
