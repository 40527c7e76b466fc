import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, TEST_ADMIN, type TestServer } from './server'
import { createKey, login, upload } from './client'

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('first-run setup', () => {
  let server: TestServer
  beforeAll(async () => { server = await startServer({ PROOFDECK_ADMIN_EMAIL: '', PROOFDECK_ADMIN_PASSWORD: '' }) })
  afterAll(() => server?.stop())

  it('needs the token from the log, works once, and signs the admin in', async () => {
    expect(await (await fetch(`${server.url}/api/setup`)).json()).toEqual({ needsSetup: true })
    const token = server.logs().match(/setup\?token=(\S+)/)?.[1]
    expect(token).toBeTruthy()
    const body = { email: 'Owner@Example.test', name: 'Owner', password: 'a long password' }
    const wrong = await fetch(`${server.url}/api/setup`, json({ ...body, token: 'guess' }))
    expect(wrong.status).toBe(403)
    const ok = await fetch(`${server.url}/api/setup`, json({ ...body, token }))
    expect(ok.status).toBe(201)
    expect(ok.headers.getSetCookie().join()).toMatch(/nuxt-session=/)
    const again = await fetch(`${server.url}/api/setup`, json({ ...body, token }))
    expect(again.status).toBe(409)
    await login(server, { email: 'owner@example.test', password: body.password })
  })
})

describe('sessions and API keys', () => {
  let server: TestServer
  let cookie: string
  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
  })
  afterAll(() => server?.stop())

  it('answers unknown user and wrong password with the same 401 sentence', async () => {
    const a = await fetch(`${server.url}/api/auth/login`, json({ email: 'nobody@example.test', password: 'whatever1234' }))
    const b = await fetch(`${server.url}/api/auth/login`, json({ email: TEST_ADMIN.email, password: 'wrong password' }))
    expect([a.status, b.status]).toEqual([401, 401])
    expect((await a.json()).message).toBe((await b.json()).message)
  })

  it('rate-limits sign-in attempts per account with a 429 that says when to retry', async () => {
    let last: Response | undefined
    for (let i = 0; i < 11; i++) last = await fetch(`${server.url}/api/auth/login`, json({ email: 'victim@example.test', password: `guess-${i}-xxxx` }))
    expect(last!.status).toBe(429)
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('requires a session for the dashboard API and refuses cross-site mutations', async () => {
    expect((await fetch(`${server.url}/api/projects`)).status).toBe(401)
    expect((await fetch(`${server.url}/api/keys`)).status).toBe(401)
    const csrf = await fetch(`${server.url}/api/keys`, { ...json({ name: 'x', scopes: ['read'] }), headers: { 'content-type': 'application/json', cookie, 'origin': 'https://evil.example' } })
    expect(csrf.status).toBe(403)
    // a made-up key beside the cookie does not make the request a key's (the cookie would sign it in)
    const withKey = await fetch(`${server.url}/api/keys`, {
      ...json({ name: 'x', scopes: ['read'] }),
      headers: { 'content-type': 'application/json', cookie, 'origin': 'https://evil.example', 'authorization': 'Bearer junk' },
    })
    expect(withKey.status).toBe(403)
    // a browser names the site in Sec-Fetch-Site, scheme included: http:// of the same host is another site, though
    // its Origin has the same host; the dashboard's own requests say same-origin
    const post = (headers: Record<string, string>) => fetch(`${server.url}/api/keys`, { ...json({ name: 'x', scopes: ['read'] }), headers: { 'content-type': 'application/json', cookie, ...headers } })
    const otherScheme = await post({ 'origin': server.url.replace('http://', 'https://'), 'sec-fetch-site': 'cross-site' })
    expect(otherScheme.status).toBe(403)
    expect((await otherScheme.json()).data.code).toBe('bad_origin')
    expect((await post({ 'origin': server.url, 'sec-fetch-site': 'same-site' })).status).toBe(403)
    expect((await post({ 'origin': server.url, 'sec-fetch-site': 'same-origin' })).status).toBe(201)
  })

  it('answers an API path no route serves with a JSON 404 sentence, with or without a key, never the sign-in page', async () => {
    const { key } = await createKey(server, cookie, { name: 'lost', scopes: ['ingest'] })
    for (const [method, path, headers] of [
      ['GET', '/api/v1/runs', { authorization: `Bearer ${key}` }], ['GET', '/api/nothing/here', {}], ['DELETE', '/api/v1/nope', { cookie }],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, { method, headers, redirect: 'manual' })
      expect(res.status).toBe(404)
      expect(await res.json()).toMatchObject({
        message: `No API route answers ${method} ${path}: the routes are listed at /api/_openapi.json (uploads are POST /api/v1/runs).`,
        data: { code: 'no_such_route' },
      })
    }
    // a repeated upload parameter is named as repeated, not as missing
    const report = { name: 'r.json', content: JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'passed' }] }) }
    const twice = await fetch(`${server.url}/api/v1/runs?project=a&project=b`, {
      method: 'POST', headers: { 'authorization': `Bearer ${key}`, 'content-type': 'application/json' }, body: report.content,
    })
    expect(twice.status).toBe(400)
    expect((await twice.json()).message).toBe('project: one value expected, 2 given: give it once.')
  })

  it('creates a key with the body docs/api.md shows, and answers the fields it lists', async () => {
    const doc = readFileSync(resolve(__dirname, '../../docs/api.md'), 'utf8')
    const section = doc.slice(doc.indexOf('## `POST /api/keys`'), doc.indexOf('## `POST /api/v1/runs`'))
    const body = JSON.parse(section.match(/-d '(\{[^']+\})' "\$PROOFDECK_URL\/api\/keys"/)![1]!)
    const fields = section.match(/`201`\s+with `\{([^}]+)\}`/)![1]!.split(',').map(f => f.trim())
    const report = { name: 'r.json', content: JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'passed' }] }) }
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    expect((await upload(server, [report], { key, query: { project: body.projectSlug } })).status).toBe(201)
    const res = await fetch(`${server.url}/api/keys`, { ...json(body), headers: { 'content-type': 'application/json', cookie } })
    expect(res.status).toBe(201)
    const created = await res.json()
    expect(Object.keys(created).sort()).toEqual([...fields].sort())
    expect(created).toMatchObject({ name: body.name, scopes: body.scopes, projectSlug: body.projectSlug, key: expect.stringMatching(/^pd_/) })
  })

  it('shows a key once, lists it by prefix only, and a revoked key gets 401', async () => {
    const created = await createKey(server, cookie, { name: 'ci', scopes: ['ingest'] })
    expect(created.key).toMatch(/^pd_[0-9a-f]{64}$/)
    const list = await (await fetch(`${server.url}/api/keys`, { headers: { cookie } })).json()
    expect(JSON.stringify(list)).not.toContain(created.key)
    expect(list.find((k: { id: string }) => k.id === created.id).prefix).toBe(created.key.slice(0, 11))

    const report = { name: 'r.json', content: JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'passed' }] }) }
    expect((await upload(server, [report], { key: created.key, query: { project: 'keys' } })).status).toBe(201)
    expect((await fetch(`${server.url}/api/keys/${created.id}`, { method: 'DELETE', headers: { cookie } })).status).toBe(200)
    const refused = await upload(server, [report], { key: created.key, query: { project: 'keys' } })
    expect(refused.status).toBe(401)
    expect(refused.body.message).toMatch(/revoked/)
    expect(server.logs()).not.toContain(created.key)
  })

  it('a key bound to one project cannot write to another (404)', async () => {
    const report = { name: 'r.json', content: JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'passed' }] }) }
    const admin = await createKey(server, cookie, { scopes: ['ingest'] })
    await upload(server, [report], { key: admin.key, query: { project: 'alpha' } })
    await upload(server, [report], { key: admin.key, query: { project: 'beta' } })
    const bound = await createKey(server, cookie, { scopes: ['ingest'], projectSlug: 'alpha' })
    expect((await upload(server, [report], { key: bound.key, query: { project: 'alpha', runKey: 'b1' } })).status).toBe(201)
    // one answer for another's project and for none: the key learns nothing of which slugs exist
    const other = await upload(server, [report], { key: bound.key, query: { project: 'beta', runKey: 'b1' } })
    const none = await upload(server, [report], { key: bound.key, query: { project: 'gamma' } })
    expect([other.status, other.body.message]).toEqual([404, 'No project "beta" that this key can write to: the key is bound to another project.'])
    expect([none.status, none.body.message]).toEqual([404, 'No project "gamma" that this key can write to: the key is bound to another project.'])
  })

  it('lists the projects the user can see with their latest run', async () => {
    const report = { name: 'r.json', content: JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'passed' }] }) }
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    for (const runKey of ['l1', 'l2']) expect((await upload(server, [report], { key, query: { project: 'listed', runKey } })).status).toBe(201)
    const projects = await (await fetch(`${server.url}/api/projects`, { headers: { cookie } })).json()
    const listed = projects.find((p: { slug: string }) => p.slug === 'listed')
    expect(listed.runCount).toBe(2)
    expect(listed.latestRun.counts).toEqual({ tests: 1, passed: 1, failed: 0, errored: 0, skipped: 0, flaky: 0 })
  })
})
