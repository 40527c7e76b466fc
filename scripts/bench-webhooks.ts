/**
 * npm run bench:webhooks — what webhooks cost an upload and how soon a receiver hears. Against the built server, on
 * embedded PGlite and on Postgres when DATABASE_URL is set: uploads (a 500-result JUnit-like report with failures)
 * alternate between a project without webhooks and one with two: a receiver that answers at once, and one that
 * never answers (every delivery to it waits out the timeout, then retries). Upload times of the two projects are
 * compared (the outbox rows are written in the ingest transaction; sending is off the request path), and the delay
 * from the upload's answer to the fast receiver's request is the delivery latency (a job queued by the upload wakes
 * the server's idle workers at once).
 * Writes its section of BENCHMARKS.md.
 */
import { existsSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { benchDatabase } from './lib/bench-db'
import { machineLine, writeBenchmarkSection } from './lib/benchmarks'
import { benchOptions } from './lib/options'
import { spawnServer } from './lib/spawn-server'

const ADMIN = { email: 'bench@example.test', password: 'bench-password-123' }
const N = Number(process.env.BENCH_WEBHOOK_UPLOADS || 40)
const RESULTS = 500

interface Row { db: string, quiet: number[], hooked: number[], hung: number[], latency: number[] }

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!

function report(n: number): string {
  const results = Array.from({ length: RESULTS }, (_, i) => i % 50 === 0
    ? { title: `test ${i}`, status: 'failed', errorMessage: `expected ${n % 3} to be 1 in test ${i}` }
    : { title: `test ${i}`, status: 'passed', durationMs: 10 + (i % 7) })
  return JSON.stringify({ format: 'proofdeck', version: 1, results })
}

/** A receiver that records when each delivery arrived (fast), or holds every request (hung). */
async function receiver(hang: boolean) {
  const arrived = new Map<string, number>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    req.on('end', () => {
      if (req.headers['x-proofdeck-event'] === 'run.failed') arrived.set(String(req.headers['x-proofdeck-delivery']), performance.now())
      if (!hang) res.writeHead(204).end()
    })
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, arrived, close: () => {
    server.closeAllConnections()
    server.close()
  } }
}

async function call(url: string, init: RequestInit & { cookie?: string, key?: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (init.cookie) headers.cookie = init.cookie
  if (init.key) headers.authorization = `Bearer ${init.key}`
  const res = await fetch(url, { ...init, headers })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text}`)
  return { json: JSON.parse(text || 'null'), cookie: res.headers.getSetCookie().map(c => c.split(';')[0]).join('; ') }
}

async function measure(db: 'PGlite' | 'Postgres'): Promise<Row> {
  const database = await benchDatabase('pd_bench_webhooks', db)
  const fast = await receiver(false)
  const hung = await receiver(true)
  const server = await spawnServer({
    ...database.env, NUXT_SESSION_PASSWORD: 'bench-session-password-0123456789abcdef', PROOFDECK_ADMIN_EMAIL: ADMIN.email,
    PROOFDECK_ADMIN_PASSWORD: ADMIN.password, PROOFDECK_BCRYPT_COST: '4', PROOFDECK_DEMO: '0', PROOFDECK_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  })
  try {
    const cookie = (await call(`${server.url}/api/auth/login`, { method: 'POST', body: JSON.stringify(ADMIN) })).cookie
    const key = (await call(`${server.url}/api/keys`, { method: 'POST', cookie, body: JSON.stringify({ name: 'bench', scopes: ['ingest'] }) })).json.key
    const upload = async (project: string, n: number) => {
      const started = performance.now()
      const { json } = await call(`${server.url}/api/v1/runs?project=${project}&branch=main&runKey=${project}-${n}`, { method: 'POST', key, body: report(n) })
      if (!json.runId) throw new Error('the upload answered without a run id')
      return { ms: performance.now() - started, answeredAt: performance.now() }
    }
    await upload('quiet', -1)
    await upload('hooked', -1)
    const hook = (url: string) => call(`${server.url}/api/projects/hooked/webhooks`, {
      method: 'POST', cookie, body: JSON.stringify({ url, events: ['run.failed', 'cluster.new'] }),
    })
    const row: Row = { db, quiet: [], hooked: [], hung: [], latency: [] }
    // 1. a receiver that answers: upload times against the project without webhooks, and how soon it hears
    await hook(fast.url)
    for (let n = 0; n < N; n++) {
      row.quiet.push((await upload('quiet', n)).ms)
      const before = fast.arrived.size
      const hooked = await upload('hooked', n)
      row.hooked.push(hooked.ms)
      const deadline = performance.now() + 30_000
      while (fast.arrived.size === before && performance.now() < deadline) await new Promise(r => setTimeout(r, 5))
      const at = [...fast.arrived.values()].at(-1)
      if (fast.arrived.size > before && at !== undefined) row.latency.push(at - hooked.answeredAt)
    }
    // 2. a receiver that never answers is added: uploads go on at the same pace (each try of it waits out the timeout)
    await hook(hung.url)
    for (let n = N; n < 2 * N; n++) {
      row.quiet.push((await upload('quiet', n)).ms)
      row.hung.push((await upload('hooked', n)).ms)
    }
    const f = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(0)} ms, p95 ${quantile(xs, 0.95).toFixed(0)} ms`
    console.log(`${db.padEnd(8)} upload, no webhooks: ${f(row.quiet)}; with a receiver: ${f(row.hooked)}; `
      + `with a hung one too: ${f(row.hung)}; delivery latency: ${f(row.latency)} (${row.latency.length}/${N})`)
    return row
  }
  finally {
    await server.kill()
    fast.close()
    hung.close()
    await database.drop()
  }
}

async function main() {
  // no options of its own: --keep and --reuse (lib/bench-db.ts)
  benchOptions({})
  if (!existsSync('.output/server/index.mjs')) throw new Error('Build first: npm run build')
  const load = loadavg()[0]!.toFixed(1)
  const rows = [await measure('PGlite')]
  if (process.env.DATABASE_URL) rows.push(await measure('Postgres'))
  else console.log('(set DATABASE_URL=postgres://… to also measure Postgres)')
  const ms = (xs: number[], q: number) => `${quantile(xs, q).toFixed(0)} ms`
  const table = [
    '| Database | Upload, no webhooks (p50 / p95) | Upload, with a webhook (p50 / p95) | Upload, with a hung receiver too (p50 / p95) | Upload answered → receiver has it (p50 / p95) |',
    '|---|---|---|---|---|',
    ...rows.map(r => `| ${r.db} | ${ms(r.quiet, 0.5)} / ${ms(r.quiet, 0.95)} | ${ms(r.hooked, 0.5)} / ${ms(r.hooked, 0.95)} | `
      + `${ms(r.hung, 0.5)} / ${ms(r.hung, 0.95)} | ${ms(r.latency, 0.5)} / ${ms(r.latency, 0.95)} (${r.latency.length} of ${N}) |`),
  ].join('\n')
  writeBenchmarkSection('Webhooks', 'bench:webhooks', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, load average ${load} at the start (the machine is shared). Uploads of a ${RESULTS}-result report (10 failures) alternate between a project without webhooks and one with a webhook (run.failed, cluster.new) to a receiver that answers 204 at once: ${N} each, every upload of the second waiting for its delivery. Then a second webhook, to a receiver that never answers, is added and ${N} more uploads alternate (each delivery to it waits out the 10 s timeout and is retried). The outbox rows are written in the upload's transaction; sending happens on the job queue (pg-boss, 4 workers, woken by the upload that queues the delivery; idle ones poll every 5 s) after the commit. Latency is from the upload's answer to the receiver's request for that run's \`run.failed\` (below zero: the receiver had it before the uploader had its answer). A receiver that never answers holds a worker for the timeout on every try, so deliveries to others wait behind it once hung tries outnumber the workers.

${table}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
