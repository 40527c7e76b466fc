/**
 * Secrets never leak: a whole flow (setup, sign-in, keys, ingest, refused keys, users and passwords) is recorded,
 * response by response, with everything the server printed; no raw key, password, session cookie or session
 * secret may appear anywhere except in the one response that hands it over. A refused key is logged by its
 * display prefix at most.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryDb, startServer, type TestServer } from './server'

interface Recorded { label: string, status: number, headers: string, body: string }

const SESSION_PASSWORD = 'secrets-test-session-password-0123456789abcdef'

describe('secrets never leak', () => {
  let server: TestServer
  const recorded: Recorded[] = []
  /** secret -> the label of the one response allowed to carry it (none: it may appear nowhere) */
  const secrets = new Map<string, string | null>([[SESSION_PASSWORD, null]])
  const cookies = new Set<string>()
  const refusedKeys: string[] = []

  async function send(
    label: string, method: string, path: string,
    opts: { body?: unknown, cookie?: string, bearer?: string, raw?: string, type?: string } = {},
  ) {
    const headers: Record<string, string> = {}
    if (opts.cookie) headers.cookie = opts.cookie
    if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`
    if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = opts.type ?? 'application/json'
    const res = await fetch(`${server.url}${path}`, { method, headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) })
    const body = await res.text()
    const setCookies = res.headers.getSetCookie()
    for (const c of setCookies) {
      const value = c.split(';')[0]!.split('=').slice(1).join('=')
      if (value.length > 20) cookies.add(value)
    }
    // Set-Cookie is where a session cookie belongs; every other header is checked
    const other = [...res.headers].filter(([k]) => k !== 'set-cookie').map(([k, v]) => `${k}: ${v}`).join('\n')
    recorded.push({ label, status: res.status, headers: other, body })
    let json: any = null
    try {
      json = JSON.parse(body)
    }
    catch { /* not JSON */ }
    return { status: res.status, json, cookie: setCookies.map(c => c.split(';')[0]).join('; ') }
  }

  beforeAll(async () => {
    server = await startServer({ PROOFDECK_ADMIN_EMAIL: '', PROOFDECK_ADMIN_PASSWORD: '', NUXT_SESSION_PASSWORD: SESSION_PASSWORD })
  })
  afterAll(() => server?.stop())

  // the flow is the shared setup: each test below checks what it recorded (hooks run in order: after the server starts)
  beforeAll(async () => {
    const adminPassword = 'the admin password 42'
    secrets.set(adminPassword, null)
    const token = server.logs().match(/setup\?token=(\S+)/)?.[1]
    expect(token).toBeTruthy()
    await send('setup status', 'GET', '/api/setup')
    expect((await send('setup with a wrong token', 'POST', '/api/setup', { body: { token: 'nope', email: 'root@example.test', name: 'Root', password: adminPassword } })).status).toBe(403)
    const setup = await send('setup', 'POST', '/api/setup', { body: { token, email: 'root@example.test', name: 'Root', password: adminPassword } })
    expect(setup.status).toBe(201)
    // the setup token is printed in the log by design; after use it must not come back in any answer
    secrets.set(token!, null)

    expect((await send('sign-in, wrong password', 'POST', '/api/auth/login', { body: { email: 'root@example.test', password: `${adminPassword}!` } })).status).toBe(401)
    expect((await send('sign-in, bad input', 'POST', '/api/auth/login', { body: { email: 'root@example.test', password: { $ne: adminPassword } } })).status).toBe(400)
    const signIn = await send('sign-in', 'POST', '/api/auth/login', { body: { email: 'root@example.test', password: adminPassword } })
    expect(signIn.status).toBe(200)
    const admin = signIn.cookie
    await send('session', 'GET', '/api/_auth/session', { cookie: admin })

    const created = await send('create key', 'POST', '/api/keys', { cookie: admin, body: { name: 'ci', scopes: ['ingest', 'read'] } })
    expect(created.status).toBe(201)
    const key: string = created.json.key
    secrets.set(key, 'create key')
    const readOnly = await send('create read key', 'POST', '/api/keys', { cookie: admin, body: { name: 'agent', scopes: ['read'] } })
    secrets.set(readOnly.json.key, 'create read key')
    await send('list keys', 'GET', '/api/keys', { cookie: admin })

    const report = JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 'a', status: 'failed', errorMessage: 'expected 1 to be 2' }] })
    expect((await send('use key (ingest)', 'POST', '/api/v1/runs?project=web', { bearer: key, raw: report })).status).toBe(201)
    expect((await send('use key again (retry)', 'POST', '/api/v1/runs?project=web', { bearer: key, raw: report })).status).toBe(200)
    expect((await send('read key on ingest', 'POST', '/api/v1/runs?project=web', { bearer: readOnly.json.key, raw: report })).status).toBe(403)

    // refused keys: unknown, malformed, a key from another system, revoked
    const unknown = `pd_${'ab'.repeat(32)}`
    const malformed = `pd_${'Z'.repeat(70)}`
    const foreign = `ghp_${'x1y2'.repeat(10)}`
    for (const [label, k] of [['unknown key', unknown], ['malformed key', malformed], ['foreign token', foreign]] as const) {
      refusedKeys.push(k)
      secrets.set(k, null)
      expect((await send(label, 'POST', '/api/v1/runs?project=web', { bearer: k, raw: report })).status).toBe(401)
    }
    await send('revoke key', 'DELETE', `/api/keys/${created.json.id}`, { cookie: admin })
    refusedKeys.push(key)
    expect((await send('revoked key', 'POST', '/api/v1/runs?project=web', { bearer: key, raw: report })).status).toBe(401)

    // users and passwords
    const user = await send('create user (generated password)', 'POST', '/api/users', { cookie: admin, body: { email: 'mia@example.test', name: 'Mia', projectSlugs: ['web'] } })
    expect(user.status).toBe(201)
    const initial: string = user.json.generatedPassword
    secrets.set(initial, 'create user (generated password)')
    const chosen = 'chosen by the admin 7'
    secrets.set(chosen, null)
    const other = await send('create user (chosen password)', 'POST', '/api/users', { cookie: admin, body: { email: 'bo@example.test', name: 'Bo', password: chosen } })
    expect(other.json.generatedPassword).toBeNull()
    await send('list users', 'GET', '/api/users', { cookie: admin })
    const mia = (await send('sign-in as Mia', 'POST', '/api/auth/login', { body: { email: 'mia@example.test', password: initial } })).cookie
    const next = 'mia picks her own 99'
    secrets.set(next, null)
    expect((await send('change own password, wrong current', 'PUT', '/api/me/password', { cookie: mia, body: { currentPassword: 'wrong wrong', newPassword: next } })).status).toBe(400)
    expect((await send('change own password', 'PUT', '/api/me/password', { cookie: mia, body: { currentPassword: initial, newPassword: next } })).status).toBe(200)
    await send('account', 'GET', '/api/me', { cookie: mia })
    const reset = await send('reset password', 'POST', `/api/users/${user.json.user.id}/password`, { cookie: admin, body: {} })
    secrets.set(reset.json.generatedPassword, 'reset password')
    await send('old session after reset', 'GET', '/api/me', { cookie: mia })
    await send('sign out', 'POST', '/api/auth/logout', { cookie: admin })
  })

  it('no response carries a secret except the one that hands it over, and errors carry no stack', () => {
    expect(recorded.length).toBeGreaterThan(25)
    const leaks: string[] = []
    for (const r of recorded) {
      const text = `${r.headers}\n${r.body}`
      for (const [secret, allowedIn] of secrets) if (r.label !== allowedIn && text.includes(secret)) leaks.push(`${r.label} (${r.status}) contains a secret (${secret.slice(0, 6)}…)`)
      for (const c of cookies) if (r.body.includes(c)) leaks.push(`${r.label} echoes a session cookie in its body`)
      if (/\.m?[jt]s:\d+:\d+|\bat [\w.<>]+ \(/.test(r.body)) leaks.push(`${r.label} (${r.status}) shows a stack trace`)
      if (/\$2[aby]\$\d\d\$/.test(r.body)) leaks.push(`${r.label} shows a bcrypt hash`)
    }
    expect(leaks, leaks.join('\n')).toEqual([])
    // each handed-over secret was really seen once where it belongs (the check above is not vacuous)
    for (const [secret, allowedIn] of secrets) {
      if (allowedIn) expect(recorded.find(r => r.label === allowedIn)?.body, allowedIn).toContain(secret)
    }
  })

  it('the log carries no secret, and a refused key at most its 11-character prefix', () => {
    const log = server.logs()
    const leaks: string[] = []
    for (const [secret] of secrets) {
      // the setup token is meant to be read from the log, once
      if (log.includes(secret) && !log.includes(`setup?token=${secret}`)) leaks.push(`the log contains a secret (${secret.slice(0, 6)}…)`)
    }
    for (const c of cookies) if (log.includes(c)) leaks.push('the log contains a session cookie')
    for (const k of refusedKeys) {
      for (let i = 0; i + 12 <= k.length; i++) {
        if (log.includes(k.slice(i, i + 12))) {
          leaks.push(`the log contains 12+ characters of a refused key (${k.slice(0, 4)}…, from position ${i})`)
          break
        }
      }
    }
    expect(leaks, leaks.join('\n')).toEqual([])
    // refusals are logged, by prefix, so an operator can tell which key a CI job still uses
    expect(log).toContain(`refused API key ${refusedKeys.at(-1)!.slice(0, 11)}…: revoked`)
    expect(log).toContain('refused API key (not a pd_ key)…: malformed')
  })

  it('the database holds hashes, never a raw key or password', async () => {
    await server.kill()
    const rows = await queryDb(server.env, `select (select json_agg(u) from users u)::text as users, (select json_agg(k) from api_keys k)::text as keys`)
    const dump = JSON.stringify(rows)
    for (const [secret] of secrets) if (secret !== SESSION_PASSWORD) expect(dump.includes(secret), `database holds ${secret.slice(0, 6)}…`).toBe(false)
    expect(dump).toMatch(/\$2[aby]\$04\$/)
  })
})
