/**
 * npm run bench:auth — what an API key check adds to a request. Against the built server, on embedded PGlite and
 * on Postgres when DATABASE_URL is set, thousands of sequential requests to the ingest route that end in the
 * guard itself, so nothing but the check differs:
 *   - no Authorization header: refused before any database work (the route's floor, 401);
 *   - a valid read-only key (an admin's, and a member's bound to a project): the whole check (hash, one indexed
 *     query with the owner's role, state and projects, scope resolved), then refused for the missing ingest
 *     scope (403) through the same error path.
 * The difference is the key check. For scale: GET /api/health (a database ping), and a valid ingest key that
 * passes the guard and gets the handler's 400 for the missing `project`. Requests of all kinds are interleaved
 * so drift hits them alike. Writes its section of BENCHMARKS.md.
 */
import { existsSync } from 'node:fs'
import { benchDatabase } from './lib/bench-db'
import { machineLine, writeBenchmarkSection } from './lib/benchmarks'
import { benchOptions } from './lib/options'
import { spawnServer } from './lib/spawn-server'

const ADMIN = { email: 'bench@example.test', password: 'bench-password-123' }
const MEMBER = { email: 'member@example.test', password: 'member-password-123' }
const N = Number(process.env.BENCH_AUTH_REQUESTS || 3000)
const WARMUP = 300

interface Variant { label: string, method: string, path: string, headers: Record<string, string>, status: number }
interface Row { db: string, label: string, p50: number, p95: number, p99: number, mean: number }

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

async function json(url: string, init: RequestInit & { cookie?: string } = {}) {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.cookie ? { cookie: init.cookie } : {}), ...init.headers as Record<string, string> } })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes vary by route; the script reads a field or two
  const body = await res.json() as any
  if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${body.message}`)
  return { body, cookie: res.headers.getSetCookie().map(c => c.split(';')[0]).join('; ') }
}

/** Admin and member sessions, read keys for both (the member's bound to their project), an ingest key, one run. */
async function prepare(url: string) {
  const admin = (await json(`${url}/api/auth/login`, { method: 'POST', body: JSON.stringify(ADMIN) })).cookie
  const ingestKey = (await json(`${url}/api/keys`, { method: 'POST', cookie: admin, body: JSON.stringify({ name: 'bench', scopes: ['ingest'] }) })).body.key as string
  const adminKey = (await json(`${url}/api/keys`, { method: 'POST', cookie: admin, body: JSON.stringify({ name: 'bench', scopes: ['read'] }) })).body.key as string
  const report = JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 't', status: 'passed' }] })
  await json(`${url}/api/v1/runs?project=bench`, { method: 'POST', body: report, headers: { authorization: `Bearer ${ingestKey}` } })
  await json(`${url}/api/users`, { method: 'POST', cookie: admin, body: JSON.stringify({ ...MEMBER, name: 'Member', role: 'member', projectSlugs: ['bench'] }) })
  const member = (await json(`${url}/api/auth/login`, { method: 'POST', body: JSON.stringify(MEMBER) })).cookie
  const memberKey = (await json(`${url}/api/keys`, { method: 'POST', cookie: member, body: JSON.stringify({ name: 'bench', scopes: ['read'], projectSlug: 'bench' }) })).body.key as string
  return { adminKey, memberKey, ingestKey }
}

async function measure(db: 'PGlite' | 'Postgres'): Promise<Row[]> {
  const database = await benchDatabase('pd_bench_auth', db)
  const server = await spawnServer({
    ...database.env, NUXT_SESSION_PASSWORD: 'bench-session-password-0123456789abcdef', PROOFDECK_ADMIN_EMAIL: ADMIN.email,
    PROOFDECK_ADMIN_PASSWORD: ADMIN.password, PROOFDECK_BCRYPT_COST: '4', PROOFDECK_DEMO: '0',
  })
  try {
    const { adminKey, memberKey, ingestKey } = await prepare(server.url)
    const variants: Variant[] = [
      { label: 'GET /api/health (database ping)', method: 'GET', path: '/api/health', headers: {}, status: 200 },
      { label: 'no key: 401 before any check', method: 'POST', path: '/api/v1/runs', headers: {}, status: 401 },
      { label: 'admin read key: checked, 403 (no ingest scope)', method: 'POST', path: '/api/v1/runs', headers: { authorization: `Bearer ${adminKey}` }, status: 403 },
      { label: 'member read key bound to a project: checked, 403', method: 'POST', path: '/api/v1/runs', headers: { authorization: `Bearer ${memberKey}` }, status: 403 },
      { label: 'ingest key: checked, handler\'s 400 (no project)', method: 'POST', path: '/api/v1/runs', headers: { authorization: `Bearer ${ingestKey}` }, status: 400 },
    ]
    const times = variants.map(() => [] as number[])
    for (let i = 0; i < WARMUP + N; i++) {
      for (const [v, variant] of variants.entries()) {
        const started = performance.now()
        const res = await fetch(`${server.url}${variant.path}`, { method: variant.method, headers: variant.headers })
        await res.arrayBuffer()
        const ms = performance.now() - started
        if (res.status !== variant.status) throw new Error(`${variant.label}: expected ${variant.status}, got ${res.status}`)
        if (i >= WARMUP) times[v]!.push(ms)
      }
    }
    return variants.map((variant, v) => {
      const sorted = times[v]!.sort((a, b) => a - b)
      const row = {
        db, label: variant.label,
        p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99),
        mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      }
      console.log(`${db.padEnd(8)} ${variant.label.padEnd(52)} p50 ${row.p50.toFixed(2)} ms  p95 ${row.p95.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms`)
      return row
    })
  }
  finally {
    await server.kill()
    await database.drop()
  }
}

async function main() {
  // no options of its own: --keep and --reuse (lib/bench-db.ts)
  benchOptions({})
  if (!existsSync('.output/server/index.mjs')) throw new Error('Build first: npm run build')
  const rows = await measure('PGlite')
  if (process.env.DATABASE_URL) rows.push(...await measure('Postgres'))
  else console.log('(set DATABASE_URL=postgres://… to also measure Postgres)')

  const fmt = (n: number) => n.toFixed(2)
  const added: string[] = []
  for (const db of new Set(rows.map(r => r.db))) {
    const of = (prefix: string) => rows.find(r => r.db === db && r.label.startsWith(prefix))!
    const floor = of('no key')
    for (const keyed of [of('admin read key'), of('member read key')]) {
      const who = keyed.label.includes('admin') ? 'admin key' : 'member key bound to a project'
      added.push(`| ${db} | ${who} | ${fmt(keyed.p50 - floor.p50)} ms | ${fmt(keyed.p95 - floor.p95)} ms |`)
      console.log(`${db.padEnd(8)} added by the check (${who}): p50 ${fmt(keyed.p50 - floor.p50)} ms, p95 ${fmt(keyed.p95 - floor.p95)} ms`)
    }
  }
  const table = [
    '| Database | Request | p50 | p95 | p99 |',
    '|---|---|---|---|---|',
    ...rows.map(r => `| ${r.db} | ${r.label} | ${fmt(r.p50)} ms | ${fmt(r.p95)} ms | ${fmt(r.p99)} ms |`),
  ].join('\n')
  writeBenchmarkSection('API key check', 'bench:auth', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}. ${N.toLocaleString('en')} sequential requests of each kind (after ${WARMUP} of warm-up), interleaved, over HTTP keep-alive to the built server on a fresh database. Requests go to the ingest route and end in its guard: without a key it answers 401 before any work; with a valid read-only key it runs the whole check (SHA-256 of the key, one indexed query for the key with its owner's role, state and projects, the scope resolved; \`last_used_at\` written at most once a minute) and answers 403 for the missing ingest scope through the same error path. The difference between the two is what the key check adds to every request (target: about 1 ms). The health check and an ingest key that passes the guard (then the handler's 400 for the missing \`project\`) are there for scale.

${table}

Added by the key check (checked request minus the no-key floor of the same route):

| Database | Key | p50 | p95 |
|---|---|---|---|
${added.join('\n')}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
