/**
 * Route audit: every server route in the build, found from the build itself, so a route added later is audited
 * without anyone remembering to list it here.
 *
 * 1. Without credentials (and with a forged cookie, and with an unknown key) every route answers 401 or 405,
 *    except the explicit PUBLIC list below, whose answers are checked too.
 * 2. A member of project A (session cookie and an A-bound key) gets 404 for every project-B resource: each route
 *    parameter is replaced by B's id, and the answer must be the one a non-existent id gets. A parameter with no
 *    fixture here fails the test, naming it: whoever adds a route with a new kind of id adds its fixture.
 * 3. Lists (GET routes without parameters) never mention project B to that member.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { freshDatabase, queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

interface Route { path: string, methods: string[] }

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

/**
 * Routes anyone may call, with what they answer to a stranger. `*` = every method the route handles.
 * Keep this short: each entry is a door without a lock.
 */
const PUBLIC: Record<string, { why: string, status?: number[], probe?: string, exact?: true }> = {
  'GET /api/health': { why: 'health probe for load balancers and the CLI', status: [200] },
  'POST /api/auth/login': { why: 'sign-in (rate-limited)', status: [400] },
  'POST /api/auth/logout': { why: 'clears the caller\'s own cookie', status: [200] },
  'GET /api/setup': { why: 'whether first-run setup is open (a boolean)', status: [200] },
  'POST /api/setup': { why: 'first-run setup, guarded by the one-time token printed in the log', status: [400] },
  'GET /api/_auth/session': { why: 'nuxt-auth-utils: the caller\'s own session, empty without a cookie', status: [200] },
  'DELETE /api/_auth/session': { why: 'nuxt-auth-utils: clears the caller\'s own session', status: [200] },
  '* /api/_openapi.json': { why: 'the OpenAPI description of the routes (no data)' },
  '* /api/docs': { why: 'API reference page over the OpenAPI document' },
  '* /_swagger': { why: 'API reference page over the OpenAPI document' },
  '* /api/_nuxt_icon/:collection': { why: 'icon SVGs (static assets)', probe: '/api/_nuxt_icon/lucide.json?icons=check' },
  '* /__nuxt_error': { why: 'Nuxt\'s error page renderer' },
  '* /__nuxt_island/**': { why: 'Nuxt server components (none read data)' },
  '* /**': { why: 'the dashboard pages (HTML shell; their data comes from the guarded API)', exact: true },
  '* /api/**': { why: 'API paths no route serves: a JSON 404 naming the OpenAPI document, not the sign-in page', status: [404], exact: true },
  '* /.well-known/**': { why: 'OAuth discovery probes from MCP clients: a JSON 404 by design', status: [404, 405] },
  'GET /cli.tgz': { why: 'the CLI as an npm tarball (the same code for everyone, no data)', status: [200] },
  'POST /register': { why: 'OAuth client registration probe from MCP clients: a JSON 404 saying to send an API key', status: [404] },
}

/**
 * Route parameter -> which fixture replaces it. Add the new kind of id here (and to fixtureIds below) when a
 * route introduces one.
 */
const FIXTURE_OF_PARAM: Record<string, keyof Fixtures> = {
  projectSlug: 'projectSlug',
  projectId: 'projectId',
  runId: 'runId',
  testCaseId: 'testCaseId',
  resultId: 'testResultId',
  testResultId: 'testResultId',
  clusterId: 'clusterId',
  diagnosisId: 'diagnosisId',
  keyId: 'keyId',
  userId: 'userId',
  webhookId: 'webhookId',
  attachmentId: 'attachmentId',
  runNumber: 'runNumber',
}

/** Valid bodies for mutating routes with parameters, so the request reaches the scope check rather than a 400. */
const BODIES: Record<string, unknown> = {
  'PATCH /api/clusters/:clusterId': { status: 'investigating', note: 'audit' },
  'POST /api/diagnoses/:diagnosisId/feedback': { helpful: true },
  'PATCH /api/users/:userId': { role: 'viewer' },
  'PUT /api/test-cases/:testCaseId/quarantine': { reason: 'audit' },
  'POST /api/users/:userId/password': {},
  'POST /api/projects/:projectSlug/webhooks': { url: 'http://93.184.216.34/hook', events: ['run.failed'] },
  'PATCH /api/projects/:projectSlug': { name: 'audit' },
  'DELETE /api/projects/:projectSlug': { confirm: 'audit' },
}

/**
 * Routes a member is refused by role whatever the id: the same 403 for B's id and for a made-up one, so the
 * answer says nothing about what exists. Everything else must be a 404.
 */
const ROLE_GATED: { pattern: RegExp, code: string, why: string }[] = [
  { pattern: /^\/api\/users(\/|$)/, code: 'admin_only', why: 'user management is for admins; users are not project resources' },
]

interface Fixtures {
  projectSlug: string
  projectId: string
  runId: string
  testCaseId: string
  testResultId: string
  clusterId: string
  diagnosisId: string
  keyId: string
  userId: string
  webhookId: string
  attachmentId: string
  runNumber: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The route table Nitro compiled into the server bundle: path and method of every handler. */
function routesInBuild(): Route[] {
  const dir = '.output/server/chunks'
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.mjs'))
  const entry = /\{ route: '([^']*)', handler: [\w$]+, lazy: (?:true|false), middleware: (true|false), method: (?:"(\w+)"|undefined) \}/g
  const byPath = new Map<string, Set<string>>()
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8')
    if (!text.includes('middleware: false, method:')) continue
    for (const m of text.matchAll(entry)) {
      if (m[2] === 'true' || !m[1]) continue
      const methods = byPath.get(m[1]) ?? new Set<string>()
      for (const method of m[3] ? [m[3].toUpperCase()] : ALL_METHODS) methods.add(method)
      byPath.set(m[1], methods)
    }
  }
  return [...byPath].map(([path, methods]) => ({ path, methods: [...methods].sort() }))
}

const toOpenApi = (path: string) => path.replace(/:(\w+)/g, '{$1}')

function publicEntry(method: string, path: string) {
  return PUBLIC[`${method} ${path}`] ?? PUBLIC[`* ${path}`]
    // a public prefix (`* /x/**`) covers the routes under it; the catch-alls (exact) cover only what no route serves
    ?? Object.entries(PUBLIC).find(([k, v]) => k.startsWith('* ') && k.endsWith('/**') && !v.exact && path.startsWith(k.slice(2, -2)))?.[1]
}

const params = (path: string) => [...path.matchAll(/:(\w+)/g)].map(m => m[1]!)

async function request(server: TestServer, method: string, path: string, opts: { cookie?: string, bearer?: string, body?: unknown } = {}) {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.cookie) headers.cookie = opts.cookie
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`
  const hasBody = method !== 'GET' && method !== 'HEAD'
  if (hasBody) headers['content-type'] = 'application/json'
  const res = await fetch(`${server.url}${path}`, { method, headers, body: hasBody ? JSON.stringify(opts.body ?? {}) : undefined, redirect: 'manual' })
  const text = await res.text()
  let json: any = null
  try {
    json = JSON.parse(text)
  }
  catch { /* HTML or empty */ }
  return { status: res.status, text, json, type: res.headers.get('content-type') ?? '' }
}

const report = (prefix: string) => JSON.stringify({
  format: 'proofdeck', version: 1,
  results: [
    { title: `${prefix} checkout works`, status: 'passed' },
    {
      title: `${prefix} refund works`, file: 'refund.spec.ts', status: 'failed', errorMessage: 'Timeout 5000ms exceeded waiting for locator(\'#refund\')',
      attachments: [{ name: 'screenshot', contentType: 'image/png', path: 'refund.png' }],
    },
    { title: `${prefix} login works`, status: 'passed', attempts: [{ status: 'failed', errorMessage: 'flaky' }, { status: 'passed' }] },
  ],
})

describe('route audit', () => {
  let server: TestServer
  let db: Awaited<ReturnType<typeof freshDatabase>>
  let routes: Route[]
  const B = {} as Fixtures
  const A = {} as Fixtures
  // a member of project A only: a session and a key bound to A (both scopes)
  const memberA = { email: 'member-a@example.test', password: 'member a password', cookie: '', key: '' }
  const memberB = { email: 'member-b@example.test', password: 'member b password' }
  let adminCookie = ''
  let adminKey = ''

  beforeAll(async () => {
    db = await freshDatabase()
    server = await startServer(db.env)
    adminCookie = await login(server)
    adminKey = (await createKey(server, adminCookie, { scopes: ['ingest', 'read'] })).key
    const clusterIds: string[] = []
    for (const slug of ['proj-a', 'proj-b']) {
      const files = [{ name: 'r.json', content: report(slug) }, { name: 'refund.png', content: `${slug} screenshot`, field: 'attachment' }]
      const r = await upload(server, files, { key: adminKey, query: { project: slug, branch: 'main', commit: 'a1b2c3d4' } })
      expect(r.status, JSON.stringify(r.body)).toBe(201)
      clusterIds.push(...r.body.newClusters.map((c: { id: string }) => c.id))
    }
    expect(clusterIds).toHaveLength(2)
    // every cluster gets its diagnosis after the upload that made it
    const latest = async (id: string) => (await request(server, 'GET', `/api/clusters/${id}/diagnosis`, { cookie: adminCookie })).json?.latest ?? null
    // (vi.waitFor: expect.poll is for tests, this is a hook)
    for (const id of clusterIds) await vi.waitFor(async () => expect(await latest(id)).not.toBeNull(), { timeout: 20_000, interval: 200 })
    for (const [who, slug] of [[memberA, 'proj-a'], [memberB, 'proj-b']] as const) {
      const res = await fetch(`${server.url}/api/users`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'cookie': adminCookie },
        body: JSON.stringify({ email: who.email, name: who.email.split('@')[0], role: 'member', password: who.password, projectSlugs: [slug] }),
      })
      expect(res.status, await res.clone().text()).toBe(201)
    }
    memberA.cookie = await login(server, memberA)
    memberA.key = (await createKey(server, memberA.cookie, { scopes: ['ingest', 'read'], projectSlug: 'proj-a' })).key
    await createKey(server, await login(server, memberB), { scopes: ['read'], projectSlug: 'proj-b' })
    for (const slug of ['proj-a', 'proj-b']) {
      const res = await request(server, 'POST', `/api/projects/${slug}/webhooks`, {
        cookie: adminCookie, body: { url: 'http://93.184.216.34/hook', events: ['run.failed'] },
      })
      expect(res.status, res.text).toBe(201)
    }

    // read the fixtures straight from the database (PGlite: only while the server is stopped), then restart
    await server.kill()
    for (const [target, slug, email] of [[A, 'proj-a', memberA.email], [B, 'proj-b', memberB.email]] as const) {
      const [row] = await queryDb(db.env, `select
        p.slug as "projectSlug", p.id as "projectId",
        (select id from runs where project_id = p.id limit 1) as "runId",
        (select id from test_cases where project_id = p.id order by id limit 1) as "testCaseId",
        (select id from test_results where project_id = p.id order by id limit 1) as "testResultId",
        (select id from failure_clusters where project_id = p.id and merged_into_id is null order by id limit 1) as "clusterId",
        (select d.id from diagnoses d join failure_clusters c on c.id = d.cluster_id where c.project_id = p.id limit 1) as "diagnosisId",
        (select k.id from api_keys k join users u on u.id = k.user_id where u.email = '${email}' limit 1) as "keyId",
        (select id from users where email = '${email}') as "userId",
        (select id from webhooks where project_id = p.id limit 1) as "webhookId",
        (select id from attachments where project_id = p.id limit 1) as "attachmentId",
        (select number::text from runs where project_id = p.id order by number limit 1) as "runNumber"
        from projects p where p.slug = '${slug}'`)
      Object.assign(target, row)
      for (const [k, v] of Object.entries(target)) expect(v, `fixture ${k} of ${slug}`).toBeTruthy()
    }
    server = await startServer(db.env)
    routes = routesInBuild()
  })
  afterAll(async () => {
    await server?.stop()
    await db?.drop()
  })

  it('finds every route, and the OpenAPI document lists the same ones', async () => {
    expect(routes.length).toBeGreaterThan(20)
    const paths = routes.map(r => r.path)
    for (const expected of ['/api/health', '/api/keys', '/api/users/:userId', '/api/v1/runs', '/api/_auth/session']) expect(paths).toContain(expected)
    const doc = await request(server, 'GET', '/api/_openapi.json')
    expect(doc.status).toBe(200)
    const documented = Object.keys(doc.json.paths).filter(p => p !== '')
    // the page renderer (/**) is not a handler with metadata; every other route must be in both lists
    const built = paths.filter(p => p !== '/**').map(toOpenApi)
    const norm = (p: string) => p.replace(/(\*\*)?\{\*?\w+\}$/, '**')
    expect(documented.map(norm).sort()).toEqual(built.map(norm).sort())
  })

  it('answers 401 (or 405) without credentials, with a forged cookie and with an unknown key, except the public list', async () => {
    const problems: string[] = []
    const forged = 'nuxt-session=Fe26.2**forged*cookie'
    const unknownKey = `pd_${'0'.repeat(64)}`
    for (const route of routes) {
      const path = route.path.replace(/:(\w+)/g, (_, name: string) => /Id$/.test(name) ? crypto.randomUUID() : 'x').replace(/\*\*$/, 'x')
      for (const method of route.methods) {
        const pub = publicEntry(method, route.path)
        const res = await request(server, method, pub?.probe ?? path)
        if (pub) {
          if (res.status >= 500) problems.push(`${method} ${route.path} (public: ${pub.why}) answered ${res.status}`)
          else if (pub.status && !pub.status.includes(res.status)) problems.push(`${method} ${route.path} (public) answered ${res.status}, expected ${pub.status.join(' or ')}`)
          continue
        }
        for (const [label, creds] of [['no credentials', {}], ['a forged cookie', { cookie: forged }], ['an unknown key', { bearer: unknownKey }]] as const) {
          const r = label === 'no credentials' ? res : await request(server, method, path, creds)
          if (r.status === 405) continue
          if (r.status !== 401) {
            problems.push(`${method} ${route.path} with ${label} answered ${r.status} (${r.text.slice(0, 120)}): guard it with requireUserScope/requireApiKey first, or add it to PUBLIC in test/e2e/route-audit.test.ts with a reason`)
            break
          }
          // JSON-RPC (the MCP endpoint) carries its sentence in error.message
          const sentence = r.json?.message ?? r.json?.error?.message
          if (typeof sentence !== 'string' || !/[a-z]{3,} [a-z]{2,}/i.test(sentence)) problems.push(`${method} ${route.path}: a 401 without a sentence for a person: ${r.text.slice(0, 120)}`)
        }
      }
    }
    expect(problems, problems.join('\n')).toEqual([])
  })

  it('gives a member of project A the answer of a missing id (404) for every project-B resource', async () => {
    const problems: string[] = []
    const asA = { cookie: memberA.cookie, bearer: memberA.key }
    const asAdmin = { cookie: adminCookie, bearer: adminKey }
    let checked = 0
    for (const route of routes) {
      const names = params(route.path)
      if (!names.length || route.methods.every(m => publicEntry(m, route.path))) continue
      const missing = names.filter(n => !FIXTURE_OF_PARAM[n])
      if (missing.length) {
        problems.push(`${route.path}: no project-B fixture for parameter [${missing.join('], [')}]: add it to FIXTURE_OF_PARAM (and the fixture query) in test/e2e/route-audit.test.ts`)
        continue
      }
      const fill = (f: Fixtures | 'missing') => route.path.replace(/:(\w+)/g, (_, n: string) => {
        const key = FIXTURE_OF_PARAM[n]!
        if (f !== 'missing') return encodeURIComponent(f[key])
        return UUID.test(B[key]) ? '00000000-0000-4000-8000-00000000beef' : key === 'runNumber' ? '999999' : 'no-such-project'
      })
      const mask = (text: string) => names.reduce((t, n) => t.replaceAll(B[FIXTURE_OF_PARAM[n]!], '<id>').replaceAll(UUID.test(B[FIXTURE_OF_PARAM[n]!]) ? '00000000-0000-4000-8000-00000000beef' : 'no-such-project', '<id>'), text)
      const gate = ROLE_GATED.find(g => g.pattern.test(route.path))
      for (const method of route.methods) {
        if (publicEntry(method, route.path)) continue
        const body = BODIES[`${method} ${route.path}`]
        const label = `${method} ${route.path}`
        const forB = await request(server, method, fill(B), { ...asA, body })
        const forMissing = await request(server, method, fill('missing'), { ...asA, body })
        checked++
        if (forB.status === 400) {
          problems.push(`${label} answered 400 (${forB.json?.message}): give it a valid body in BODIES so the scope check is reached`)
          continue
        }
        const expected = gate ? 403 : 404
        if (forB.status !== expected) problems.push(`${label} with project B's ids answered ${forB.status}, expected ${expected}: ${forB.text.slice(0, 160)}`)
        else if (gate && forB.json?.data?.code !== gate.code) problems.push(`${label}: a 403 that is not the role refusal "${gate.code}": ${forB.text.slice(0, 160)}`)
        const sameMessage = mask(forB.json?.message ?? forB.text) === mask(forMissing.json?.message ?? forMissing.text)
        if (forB.status !== forMissing.status || !sameMessage) {
          problems.push(`${label} tells B's id (${forB.status} ${forB.json?.message}) from a missing one (${forMissing.status} ${forMissing.json?.message})`)
        }
        // the fixture is real: an admin reads it, and member A reads their own (GET only: no side effects)
        if (method === 'GET' && !gate) {
          const admin = await request(server, method, fill(B), asAdmin)
          if (admin.status !== 200) problems.push(`${label}: the admin got ${admin.status} for B's ids, so the fixture does not exercise the route: ${admin.text.slice(0, 120)}`)
          const own = await request(server, method, fill(A), asA)
          if (own.status !== 200) problems.push(`${label}: member A got ${own.status} for A's own ids: ${own.text.slice(0, 120)}`)
          // a run number (#1) is in every project: it names nothing of B's
          for (const [k, v] of Object.entries(B)) if (k !== 'runNumber' && own.text.includes(v)) problems.push(`${label}: member A's answer for A mentions project B's ${v}`)
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8)
    expect(problems, problems.join('\n')).toEqual([])
  })

  it('answers bad input to a dashboard route as ingest answers it: 400, a sentence, the code at data.code', async () => {
    const asAdmin = async (method: string, path: string, body?: string) => {
      const res = await fetch(`${server.url}${path}`, { method, headers: { 'cookie': adminCookie, 'content-type': 'application/json', 'accept': 'application/json' }, body })
      return { status: res.status, json: await res.json() as { statusMessage?: string, message: string, data?: { code?: string } } }
    }
    const cases: [string, string, string | undefined, RegExp][] = [
      ['POST', '/api/keys', undefined, /^The request has no body: send a JSON object, with Content-Type: application\/json\.$/],
      ['POST', '/api/keys', '{"name": 5, "scopes": ["read"]}', /^name: /],
      ['PATCH', '/api/projects/proj-a', '{"defaultBranch": ""}', /^defaultBranch: The default branch is 1–200 characters\.$/],
      ['GET', '/api/projects/proj-a/runs?limit=abc', undefined, /^limit: /],
      ['GET', '/api/runs/not-a-uuid', undefined, /runId/],
    ]
    for (const [method, path, body, message] of cases) {
      const res = await asAdmin(method, path, body)
      expect(res.status, `${method} ${path}`).toBe(400)
      expect(res.json.message, `${method} ${path}`).toMatch(message)
      expect(res.json.data?.code, `${method} ${path}`).toBe('invalid_input')
      expect(res.json.statusMessage, `${method} ${path}`).not.toBe('Validation Error')
    }
  })

  it('never mentions project B in the lists member A reads', async () => {
    const problems: string[] = []
    let checked = 0
    for (const route of routes) {
      if (params(route.path).length || route.path.includes('*') || !route.methods.includes('GET') || publicEntry('GET', route.path)) continue
      const res = await request(server, 'GET', route.path, { cookie: memberA.cookie, bearer: memberA.key })
      checked++
      if (res.status >= 500) problems.push(`GET ${route.path} answered ${res.status}`)
      for (const [name, v] of Object.entries(B)) if (name !== 'runNumber' && res.text.includes(v)) problems.push(`GET ${route.path} shows member A project B's ${name} (${v})`)
    }
    expect(checked).toBeGreaterThanOrEqual(5)
    expect(problems, problems.join('\n')).toEqual([])
    // and the projects list really is A's
    const projects = await request(server, 'GET', '/api/projects', { cookie: memberA.cookie })
    expect(projects.json.map((p: { slug: string }) => p.slug)).toEqual(['proj-a'])
  })
})
