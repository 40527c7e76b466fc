import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, TEST_ADMIN, type TestServer } from './server'
import { createKey, login, upload } from './client'

/** A JSON request as the dashboard sends it (cookie session). */
function call(server: TestServer, cookie: string, method: string, path: string, body?: unknown) {
  return fetch(`${server.url}${path}`, {
    method, headers: { 'content-type': 'application/json', cookie }, body: body === undefined ? undefined : JSON.stringify(body),
  })
}

async function json<T = any>(res: Response | Promise<Response>, status: number): Promise<T> {
  const r = await res
  const text = await r.text()
  expect(r.status, text).toBe(status)
  return JSON.parse(text) as T
}

const report = JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'passed' }] })

describe('user management and role rules', () => {
  let server: TestServer
  let admin: string
  const member = { email: 'mia@example.test', password: '' }

  beforeAll(async () => {
    server = await startServer()
    admin = await login(server)
    const key = (await createKey(server, admin, { scopes: ['ingest'] })).key
    for (const project of ['alpha', 'beta', 'gamma']) await upload(server, [{ name: 'r.json', content: report }], { key, query: { project } })
    // the member every test below works with; the first test creates one of its own
    const created = await json(call(server, admin, 'POST', '/api/users', { email: member.email, name: 'Mia', role: 'member', projectSlugs: ['alpha'] }), 201)
    member.password = created.generatedPassword
  })
  afterAll(() => server?.stop())

  it('creates a member with a generated password shown once, in their projects only', async () => {
    const noa = { email: 'noa@example.test', password: '' }
    const created = await json(call(server, admin, 'POST', '/api/users', { email: 'Noa@Example.test', name: 'Noa', role: 'member', projectSlugs: ['alpha'] }), 201)
    expect(created.user).toMatchObject({ email: noa.email, name: 'Noa', role: 'member', active: true, projectSlugs: ['alpha'], activeKeyCount: 0 })
    expect(created.generatedPassword).toMatch(/^[\w-]{22}$/)
    noa.password = created.generatedPassword
    const list = await json<any[]>(call(server, admin, 'GET', '/api/users'), 200)
    expect(list.map(u => u.email)).toEqual([TEST_ADMIN.email, member.email, noa.email])
    expect(JSON.stringify(list)).not.toContain(noa.password)
    expect(JSON.stringify(list)).not.toMatch(/passwordHash|\$2[aby]\$/)

    const cookie = await login(server, noa)
    const projects = await json<any[]>(call(server, cookie, 'GET', '/api/projects'), 200)
    expect(projects.map(p => p.slug)).toEqual(['alpha'])
    expect(await json(call(server, cookie, 'GET', '/api/me'), 200)).toMatchObject({ email: noa.email, role: 'member', projectSlugs: ['alpha'] })
  })

  it('answers bad input with a sentence, a taken email with 409, an unknown project with 400', async () => {
    const bad = await json(call(server, admin, 'POST', '/api/users', { email: 'not-an-email', name: '', password: 'short' }), 400)
    expect(bad.message).toMatch(/email: Enter a valid email address/)
    expect(bad.message).toMatch(/at least 10 characters/)
    expect((await json(call(server, admin, 'POST', '/api/users', { email: member.email, name: 'Again' }), 409)).message).toMatch(/already exists/)
    const unknown = await json(call(server, admin, 'POST', '/api/users', { email: 'x@example.test', name: 'X', projectSlugs: ['nope'] }), 400)
    expect(unknown.message).toBe('No project "nope": choose from the existing projects.')
    // nothing half-created
    expect((await json<any[]>(call(server, admin, 'GET', '/api/users'), 200)).map(u => u.email)).not.toContain('x@example.test')
    expect((await json(call(server, admin, 'PATCH', `/api/users/${crypto.randomUUID()}`, { role: 'viewer' }), 404)).message).toBe('No such user.')
    expect((await json(call(server, admin, 'PATCH', '/api/users/not-a-uuid', { role: 'viewer' }), 400)).message).toMatch(/not a user id/)
    expect((await json(call(server, admin, 'PATCH', `/api/users/${crypto.randomUUID()}`, {}), 400)).message).toMatch(/at least one of/)
  })

  it('keeps user management to admins, and refuses cross-site changes', async () => {
    const cookie = await login(server, member)
    const refused = await json(call(server, cookie, 'GET', '/api/users'), 403)
    expect(refused.message).toBe('Only an admin can manage users.')
    await json(call(server, cookie, 'POST', '/api/users', { email: 'sneaky@example.test', name: 'S', role: 'admin' }), 403)
    // the refusal comes before the body is read: a member hears 403 or 404, never a remark on what was sent
    expect((await json(call(server, cookie, 'POST', '/api/users', { email: 'x@y.z' }), 403)).message).toBe('Only an admin can manage users.')
    await json(call(server, cookie, 'PUT', '/api/settings/ai', { provider: 'openai', apiKey: 'sk-x' }), 403)
    await json(call(server, cookie, 'DELETE', '/api/projects/beta'), 404)
    const users = await json<any[]>(call(server, admin, 'GET', '/api/users'), 200)
    const mia = users.find(u => u.email === member.email)
    await json(call(server, cookie, 'PATCH', `/api/users/${mia.id}`, { role: 'admin' }), 403)
    const csrf = await fetch(`${server.url}/api/users/${mia.id}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json', 'cookie': admin, 'origin': 'https://evil.example' }, body: JSON.stringify({ role: 'admin' }),
    })
    expect(csrf.status).toBe(403)
    expect((await json<any[]>(call(server, admin, 'GET', '/api/users'), 200)).find(u => u.email === member.email).role).toBe('member')
  })

  it('applies role rules to API keys: members within their projects, viewers read only, admins any', async () => {
    const cookie = await login(server, member)
    // a member: keys for their own project, unbound keys, never another project's
    const bound = await json(call(server, cookie, 'POST', '/api/keys', { name: 'ci', scopes: ['ingest'], projectSlug: 'alpha' }), 201)
    expect(bound.projectSlug).toBe('alpha')
    const foreign = await json(call(server, cookie, 'POST', '/api/keys', { name: 'ci', scopes: ['ingest'], projectSlug: 'beta' }), 404)
    expect(foreign.message).toBe('No project "beta" that you can access.')
    // 404 for another project, exactly as for one that does not exist
    expect((await json(call(server, cookie, 'POST', '/api/keys', { name: 'ci', scopes: ['ingest'], projectSlug: 'no-such' }), 404)).message).toBe('No project "no-such" that you can access.')
    const unbound = await json(call(server, cookie, 'POST', '/api/keys', { name: 'agent', scopes: ['read', 'ingest'] }), 201)
    expect((await upload(server, [{ name: 'r.json', content: report }], { key: unbound.key, query: { project: 'alpha', runKey: 'm1' } })).status).toBe(201)
    expect((await upload(server, [{ name: 'r.json', content: report }], { key: unbound.key, query: { project: 'beta', runKey: 'm1' } })).status).toBe(404)
    // an admin: any project
    expect((await json(call(server, admin, 'POST', '/api/keys', { name: 'b', scopes: ['ingest'], projectSlug: 'beta' }), 201)).projectSlug).toBe('beta')

    // made a viewer: read keys only, and an existing ingest key stops uploading
    const mia = (await json<any[]>(call(server, admin, 'GET', '/api/users'), 200)).find(u => u.email === member.email)
    expect((await json(call(server, admin, 'PATCH', `/api/users/${mia.id}`, { role: 'viewer' }), 200)).role).toBe('viewer')
    const viewerIngest = await json(call(server, cookie, 'POST', '/api/keys', { name: 'x', scopes: ['read', 'ingest'] }), 403)
    expect(viewerIngest.message).toMatch(/Viewers can create read keys only/)
    await json(call(server, cookie, 'POST', '/api/keys', { name: 'read', scopes: ['read'], projectSlug: 'alpha' }), 201)
    expect((await upload(server, [{ name: 'r.json', content: report }], { key: bound.key, query: { project: 'alpha', runKey: 'v1' } })).status).toBe(403)
    await json(call(server, admin, 'PATCH', `/api/users/${mia.id}`, { role: 'member' }), 200)
    expect((await upload(server, [{ name: 'r.json', content: report }], { key: bound.key, query: { project: 'alpha', runKey: 'v1' } })).status).toBe(201)
  })

  it('replaces memberships: the user sees the new set at once, sessions and keys alike', async () => {
    const cookie = await login(server, member)
    const mia = (await json<any[]>(call(server, admin, 'GET', '/api/users'), 200)).find(u => u.email === member.email)
    const updated = await json(call(server, admin, 'PATCH', `/api/users/${mia.id}`, { projectSlugs: ['gamma', 'beta', 'gamma'] }), 200)
    expect(updated.projectSlugs).toEqual(['beta', 'gamma'])
    expect((await json<any[]>(call(server, cookie, 'GET', '/api/projects'), 200)).map(p => p.slug)).toEqual(['beta', 'gamma'])
    await json(call(server, admin, 'PATCH', `/api/users/${mia.id}`, { projectSlugs: ['alpha'] }), 200)
    expect((await json<any[]>(call(server, cookie, 'GET', '/api/projects'), 200)).map(p => p.slug)).toEqual(['alpha'])
  })

  it('never leaves the install without an admin, and an admin cannot lock themselves out', async () => {
    const users = await json<any[]>(call(server, admin, 'GET', '/api/users'), 200)
    const me = users.find(u => u.email === TEST_ADMIN.email)
    const last = await json(call(server, admin, 'PATCH', `/api/users/${me.id}`, { role: 'member' }), 409)
    expect(last.message).toMatch(/last active admin/)
    expect((await json(call(server, admin, 'DELETE', `/api/users/${me.id}`), 409)).message).toMatch(/cannot delete your own account/)
    expect((await json(call(server, admin, 'PATCH', `/api/users/${me.id}`, { active: false }), 409)).message).toMatch(/cannot deactivate your own account/)
    expect((await json(call(server, admin, 'POST', `/api/users/${me.id}/password`, {}), 400)).message).toMatch(/under Account/)

    // with a second admin, the first may step down; the second then cannot
    const second = await json(call(server, admin, 'POST', '/api/users', { email: 'root2@example.test', name: 'Root 2', role: 'admin', password: 'second admin password' }), 201)
    const cookie2 = await login(server, { email: 'root2@example.test', password: 'second admin password' })
    expect((await json(call(server, admin, 'PATCH', `/api/users/${me.id}`, { role: 'member' }), 200)).role).toBe('member')
    await json(call(server, admin, 'GET', '/api/users'), 403)
    expect((await json(call(server, cookie2, 'PATCH', `/api/users/${second.user.id}`, { role: 'viewer' }), 409)).message).toMatch(/last active admin/)
    // a deactivated admin does not count as one
    await json(call(server, cookie2, 'PATCH', `/api/users/${me.id}`, { role: 'admin' }), 200)
    await json(call(server, cookie2, 'PATCH', `/api/users/${me.id}`, { active: false }), 200)
    expect((await json(call(server, cookie2, 'DELETE', `/api/users/${second.user.id}`), 409)).message).toMatch(/cannot delete your own/)
    await json(call(server, cookie2, 'PATCH', `/api/users/${me.id}`, { active: true }), 200)
    admin = await login(server)
    await json(call(server, admin, 'DELETE', `/api/users/${second.user.id}`), 200)
    expect(await json(call(server, admin, 'GET', '/api/users'), 200)).toHaveLength(users.length)
  })

  it('resets a password: the old one and the old sessions stop working', async () => {
    const old = await login(server, member)
    const mia = (await json<any[]>(call(server, admin, 'GET', '/api/users'), 200)).find(u => u.email === member.email)
    const reset = await json(call(server, admin, 'POST', `/api/users/${mia.id}/password`, {}), 200)
    expect(reset.generatedPassword).toMatch(/^[\w-]{22}$/)
    expect(reset.generatedPassword).not.toBe(member.password)
    expect((await call(server, old, 'GET', '/api/projects')).status).toBe(401)
    expect(await json(call(server, old, 'GET', '/api/_auth/session'), 200)).not.toHaveProperty('user')
    await expect(login(server, member)).rejects.toThrow(/401/)
    member.password = reset.generatedPassword
    await login(server, member)
    // an admin may also set a chosen one
    await json(call(server, admin, 'POST', `/api/users/${mia.id}/password`, { password: 'chosen by the admin' }), 200)
    member.password = 'chosen by the admin'
    await login(server, member)
  })

  // two connections: only Postgres lets an upload wait on a slug another transaction is creating
  it.skipIf(!process.env.TEST_DATABASE_URL)('does not let a member join a project another upload is creating, and lets their own first uploads land together', async () => {
    const cookie = await login(server, member)
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    const { default: postgres } = await import('postgres')
    const db = postgres(server.env.DATABASE_URL!, { max: 2, onnotice: () => {} })
    // another user's first upload of `racing`, inside its transaction when the member's upload of that slug arrives
    let commit!: () => void
    const creating = db.begin(async (sql) => {
      await sql`insert into projects (slug, name) values ('racing', 'racing')`
      await new Promise<void>((resolve) => { commit = resolve })
    })
    await expect.poll(() => commit !== undefined).toBe(true)
    const pending = upload(server, [{ name: 'r.json', content: report }], { key, query: { project: 'racing' } })
    // the member's insert of the slug waits on the uncommitted one
    await expect.poll(async () => (await db`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'`)[0]!.n, { timeout: 10_000 }).toBe(1)
    commit()
    await creating
    const refused = await pending
    expect([refused.status, refused.body.message]).toEqual([404, 'No project "racing" that this key can write to.'])
    expect((await json(call(server, cookie, 'GET', '/api/me'), 200)).projectSlugs).toEqual(['alpha'])
    expect((await call(server, cookie, 'GET', '/api/projects/racing')).status).toBe(404)
    await db.end()
    // the member's own first uploads of a new project, at once (CI shards): both are stored, in one project they are in
    const shards = await Promise.all(['s1', 's2'].map(runKey => upload(server, [{ name: 'r.json', content: report }], { key, query: { project: 'mias', runKey } })))
    expect(shards.map(r => r.status)).toEqual([201, 201])
    expect((await json(call(server, cookie, 'GET', '/api/me'), 200)).projectSlugs).toEqual(['alpha', 'mias'])
  })

  it('lets a user change their own password with the current one; other sessions end, this one continues', async () => {
    const here = await login(server, member)
    const elsewhere = await login(server, member)
    const wrong = await json(call(server, here, 'PUT', '/api/me/password', { currentPassword: 'not it at all', newPassword: 'my own new password' }), 400)
    expect(wrong.message).toBe('Your current password is not right.')
    const same = await json(call(server, here, 'PUT', '/api/me/password', { currentPassword: member.password, newPassword: member.password }), 400)
    expect(same.message).toMatch(/must differ/)
    const res = await call(server, here, 'PUT', '/api/me/password', { currentPassword: member.password, newPassword: 'my own new password' })
    expect(res.status).toBe(200)
    const renewed = res.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
    expect(renewed).toMatch(/nuxt-session=/)
    expect((await call(server, renewed, 'GET', '/api/projects')).status).toBe(200)
    expect((await call(server, elsewhere, 'GET', '/api/projects')).status).toBe(401)
    member.password = 'my own new password'
    await login(server, member)
  })

  it('deactivates and reactivates: sign-in, sessions and keys stop, then work again with the same password', async () => {
    const cookie = await login(server, member)
    const key = await createKey(server, cookie, { scopes: ['ingest'], projectSlug: 'alpha' })
    const mia = (await json<any[]>(call(server, admin, 'GET', '/api/users'), 200)).find(u => u.email === member.email)
    expect((await json(call(server, admin, 'PATCH', `/api/users/${mia.id}`, { active: false }), 200)).active).toBe(false)

    expect((await call(server, cookie, 'GET', '/api/projects')).status).toBe(401)
    const signIn = await json(fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(member) }), 401)
    expect(signIn.message).toBe('Wrong email or password.')
    const refused = await upload(server, [{ name: 'r.json', content: report }], { key: key.key, query: { project: 'alpha', runKey: 'd1' } })
    expect(refused.status).toBe(401)
    expect(refused.body.message).toMatch(/deactivated account/)

    await json(call(server, admin, 'PATCH', `/api/users/${mia.id}`, { active: true }), 200)
    await login(server, member)
    expect((await upload(server, [{ name: 'r.json', content: report }], { key: key.key, query: { project: 'alpha', runKey: 'd1' } })).status).toBe(201)
  })

  it('deletes a user with their keys', async () => {
    const cookie = await login(server, member)
    const key = await createKey(server, cookie, { scopes: ['ingest'], projectSlug: 'alpha' })
    const mia = (await json<any[]>(call(server, admin, 'GET', '/api/users'), 200)).find(u => u.email === member.email)
    const deleted = await json(call(server, admin, 'DELETE', `/api/users/${mia.id}`), 200)
    expect(deleted.email).toBe(member.email)
    expect((await call(server, cookie, 'GET', '/api/projects')).status).toBe(401)
    expect((await upload(server, [{ name: 'r.json', content: report }], { key: key.key, query: { project: 'alpha' } })).status).toBe(401)
    await json(call(server, admin, 'DELETE', `/api/users/${mia.id}`), 404)
  })
})
