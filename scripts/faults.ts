/**
 * npm run test:faults — the server under faults, on a throwaway PostgreSQL 15 of its own (and on PGlite):
 *  1. 20 clients (uploads and MCP calls) while Postgres restarts, `-m fast` then `-m immediate`: every run equals its
 *     receipt, the server serves again within 5 s of Postgres, no request takes 10 s, the outage answers 503 + Retry-After;
 *  2. the server SIGKILLed mid-upload, on Postgres and on PGlite: no partial run, and it starts again on the same data.
 * Prints the figures and exits 1 when a check fails. Needs the build (`npx nuxt build`) and root (runs Postgres as postgres).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { createApiKeyAs, spawnServer, type SpawnedServer } from './lib/spawn-server'
import { canRunThrowawayPg, startThrowawayPg, type ThrowawayPg } from './lib/throwaway-pg'

const ADMIN = { email: 'admin@faults.test', password: 'correct horse battery staple' }
const CLIENTS = 20
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
const failures: string[] = []

function check(ok: boolean, what: string, figure: string): void {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}: ${figure}`)
  if (!ok) failures.push(what)
}

/** A JUnit report of n tests, every seventh failing, with names unique to tag. */
function junit(tag: string, n: number): string {
  const cases = Array.from({ length: n }, (_, i) => i % 7 === 3
    ? `<testcase classname="c${i % 50}" name="${tag} t${i}"><failure message="expected ${i % 5} got ${i}">at f (a.ts:${i}:1)</failure></testcase>`
    : `<testcase classname="c${i % 50}" name="${tag} t${i}" time="0.01"/>`)
  return `<testsuite name="faults">${cases.join('')}</testsuite>`
}

async function startOn(env: Record<string, string>): Promise<SpawnedServer> {
  return spawnServer({
    NUXT_SESSION_PASSWORD: 'faults-session-password-at-least-32-chars!!', PROOFDECK_BCRYPT_COST: '4',
    PROOFDECK_ADMIN_EMAIL: ADMIN.email, PROOFDECK_ADMIN_PASSWORD: ADMIN.password,
    // 20 clients share one key: admission control (429) is what limits.test.ts checks, this run is about restarts
    PROOFDECK_INGEST_CONCURRENCY: '32', ...env,
  })
}

interface Sample { kind: 'upload' | 'mcp', status: number, ms: number, retryAfter: boolean, receipt?: { runId: string, counts: { tests: number } } }

/** One request with a 15 s client timeout (status 0 = hung or reset). */
async function timed(kind: Sample['kind'], run: (signal: AbortSignal) => Promise<Response>): Promise<Sample> {
  const t = Date.now()
  try {
    const res = await run(AbortSignal.timeout(15_000))
    const body = await res.json().catch(() => null) as Sample['receipt'] | null
    return { kind, status: res.status, ms: Date.now() - t, retryAfter: res.headers.has('retry-after'), receipt: res.status < 300 && kind === 'upload' ? body ?? undefined : undefined }
  }
  catch {
    return { kind, status: 0, ms: Date.now() - t, retryAfter: false }
  }
}

const uploadTo = (url: string, key: string, runKey: string, body: string) => timed('upload', signal => fetch(
  `${url}/api/v1/runs?project=faults&runKey=${runKey}`,
  { method: 'POST', signal, body, headers: { 'authorization': `Bearer ${key}`, 'content-type': 'application/xml', 'x-proofdeck-filename': 'r.xml' } },
))

const mcpCall = (url: string, key: string) => timed('mcp', signal => fetch(`${url}/mcp`, {
  method: 'POST', signal,
  headers: { 'content-type': 'application/json', 'accept': 'application/json, text/event-stream', 'authorization': `Bearer ${key}`, 'mcp-protocol-version': '2025-06-18' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_runs', arguments: { projectSlug: 'faults', limit: 5 } } }),
}))

/** CLIENTS loops of uploads (three in four) and MCP calls until stopped. */
function load(url: string, key: string, tag: string) {
  const samples: Sample[] = []
  let running = true
  let seq = 0
  const loops = Array.from({ length: CLIENTS }, async (_, i) => {
    while (running) {
      const runKey = `${tag}-${i}-${seq++}`
      samples.push(await (i % 4 === 3 ? mcpCall(url, key) : uploadTo(url, key, runKey, junit(runKey, 200))))
      await sleep(10)
    }
  })
  return { samples, stop: async () => { running = false; await Promise.all(loops) } }
}

/** Time from `since` until health is 200 and an upload is stored. */
async function untilServing(url: string, key: string, since: number): Promise<number> {
  while (Date.now() - since < 60_000) {
    const health = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5000) }).catch(() => null)
    if (health?.status === 200 && (await uploadTo(url, key, `probe-${Date.now()}`, junit('probe', 3))).status === 201) return Date.now() - since
    await sleep(100)
  }
  return Infinity
}

async function restartUnderLoad(pg: ThrowawayPg, url: string, key: string, mode: 'fast' | 'immediate'): Promise<Sample[]> {
  const run = load(url, key, mode)
  await sleep(1500)
  await pg.restart(mode)
  const recovery = await untilServing(url, key, Date.now())
  await sleep(1000)
  await run.stop()
  const s = run.samples
  const bad = s.filter(x => ![200, 201, 503].includes(x.status))
  check(recovery <= 5000, `restart -m ${mode}: serves again within 5 s of Postgres`, `${recovery} ms`)
  check(Math.max(...s.map(x => x.ms)) < 10_000, `restart -m ${mode}: no request past 10 s`, `max ${Math.max(...s.map(x => x.ms))} ms over ${s.length} requests`)
  check(bad.length === 0, `restart -m ${mode}: only 2xx or 503 answers`, `${s.filter(x => x.status === 503).length} × 503, other: ${JSON.stringify(bad.map(x => `${x.kind} ${x.status}`).slice(0, 10))}`)
  check(s.filter(x => x.status === 503).every(x => x.retryAfter), `restart -m ${mode}: every 503 says Retry-After`, '')
  return s
}

/** Every receipt matches its stored run, and no run in the database is partial (results ≠ its total). */
async function verifyRuns(url: string, receipts: NonNullable<Sample['receipt']>[]): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  const rows = await sql<{ id: string, total: number, results: number }[]>`
    select r.id, r.total, (select count(*)::int from test_results t where t.run_id = r.id) as results from runs r`
  await sql.end()
  const byId = new Map(rows.map(r => [r.id, r]))
  const mismatched = receipts.filter(r => byId.get(r.runId)?.total !== r.counts.tests || byId.get(r.runId)?.results !== r.counts.tests)
  check(mismatched.length === 0, 'every run equals its receipt', `${receipts.length} receipts, ${mismatched.length} differ`)
  const partial = rows.filter(r => r.results !== r.total)
  check(partial.length === 0, 'no partial run after the restarts', `${rows.length} runs, ${partial.length} partial`)
}

async function createDatabase(pg: ThrowawayPg, name: string): Promise<string> {
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  return pg.url.replace(/\/postgres$/, `/${name}`)
}

/** Runs (id, total, stored results) of a database the server is not running on. */
async function storedRuns(env: Record<string, string>): Promise<{ run_key: string, total: number, results: number }[]> {
  const q = 'select run_key, total, (select count(*)::int from test_results t where t.run_id = r.id) as results from runs r'
  if (env.DATABASE_URL) {
    const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} })
    const rows = await sql.unsafe(q)
    await sql.end()
    return [...rows] as never
  }
  const { PGlite } = await import('@electric-sql/pglite')
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
  const lite = await PGlite.create(env.PROOFDECK_DATA_DIR!, { extensions: { pg_trgm } })
  const { rows } = await lite.query(q)
  await lite.close()
  return rows as never
}

/**
 * Uploads a large report twice to time a warm upload, then again and SIGKILLs the server partway through; then starts it
 * again. An upload that finished before the kill tested nothing, so the kill comes earlier on the next try (at most 3).
 */
async function sigkillMidUpload(label: string, env: Record<string, string>): Promise<void> {
  let server = await startOn(env)
  const key = await createApiKeyAs(server.url, ADMIN, ['ingest', 'read'])
  const report = junit('big', 15_000)
  await uploadTo(server.url, key, 'cold', report)
  const warm = await uploadTo(server.url, key, 'warm', report)
  const tries: string[] = []
  let cut = false
  for (const [i, fraction] of [0.5, 0.3, 0.15].entries()) {
    if (i > 0) server = await startOn(env)
    const pending = uploadTo(server.url, key, `killed-${i}`, report)
    await sleep(warm.ms * fraction)
    process.kill(server.pid, 'SIGKILL')
    await server.exited
    const killed = await pending
    tries.push(`killed at ${Math.round(warm.ms * fraction)} ms: ${killed.status}`)
    if (killed.status !== 201) {
      cut = true
      break
    }
  }
  const rows = await storedRuns(env)
  const partial = rows.filter(r => r.results !== r.total)
  check(partial.length === 0 && cut, `SIGKILL mid-upload on ${label}: no partial run`,
    `warm upload ${warm.ms} ms; ${tries.join(', ')}; runs: ${rows.map(r => `${r.run_key} ${r.results}/${r.total}`).join(', ')}`)
  const t = Date.now()
  try {
    // healthy again on the same data (on PGlite: the dead process's lock is taken over)
    const again = await startOn(env)
    check(true, `${label}: serves again after SIGKILL`, `${Date.now() - t} ms to healthy`)
    await again.kill()
  }
  catch (err) {
    check(false, `${label}: serves again after SIGKILL`, (err as Error).message.slice(0, 300))
  }
}

async function main(): Promise<void> {
  if (!canRunThrowawayPg()) {
    console.error('test:faults needs /usr/lib/postgresql/15/bin and root (it runs a throwaway Postgres as the postgres user).')
    process.exit(1)
  }
  const pg = startThrowawayPg(56_900 + Math.floor(Math.random() * 90))
  const dataDir = mkdtempSync(join(tmpdir(), 'proofdeck-faults-'))
  try {
    const url = await createDatabase(pg, 'faults_restart')
    const server = await startOn({ DATABASE_URL: url })
    const key = await createApiKeyAs(server.url, ADMIN, ['ingest', 'read'])
    const samples = [...await restartUnderLoad(pg, server.url, key, 'fast'), ...await restartUnderLoad(pg, server.url, key, 'immediate')]
    if (process.env.FAULTS_LOG) (await import('node:fs')).writeFileSync(process.env.FAULTS_LOG, server.output())
    await server.kill()
    await verifyRuns(url, samples.flatMap(s => s.receipt ? [s.receipt] : []))
    await sigkillMidUpload('Postgres', { DATABASE_URL: await createDatabase(pg, 'faults_kill') })
    await sigkillMidUpload('PGlite', { PROOFDECK_DATA_DIR: join(dataDir, 'data') })
  }
  finally {
    pg.destroy()
    rmSync(dataDir, { recursive: true, force: true })
  }
  console.log(failures.length ? `test:faults: ${failures.length} check(s) failed` : 'test:faults: all checks passed')
  process.exit(failures.length ? 1 : 0)
}

await main()
