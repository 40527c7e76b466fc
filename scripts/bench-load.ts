/**
 * Mixed load against the built server on Postgres, the shape issue 18 sets: 2 uploaders, 4 MCP clients and 4 page
 * readers at once for 60 s, each one request at a time as fast as it is answered. Prints requests/s and p50/p95 per
 * class and the server's memory (resident set sampled every second: the median after the first 10 s is "steady",
 * VmHWM at the end is the peak), and writes its BENCHMARKS.md section. It also prints p50/p95 per page and per MCP
 * tool, and per class over the requests that arrived after the first 10 s (what a fresh server's start costs is the
 * difference).
 *
 *   DATABASE_URL=postgres://… npm run bench:load [-- --seconds 60 --results 1000 --label after]
 *   PROOFDECK_BUILD_DIR=/tmp/other-output …   measures another build (before/after on the same machine)
 *   … --keep / --reuse <database>  (keep the seeded database, or load a kept one; see lib/bench-db.ts)
 *   … --rate 34.5 [--mix 2/83/15]  open loop instead: requests arrive at that total rate whether or not earlier ones were
 *                                  answered, split between uploads/MCP/pages by the mix's weights, each class at even
 *                                  intervals; latency counts from the scheduled arrival, so time spent queued counts.
 *                                  The default mix is the share of answers each class got in the closed loop on an idle
 *                                  machine (0.9 / 38.2 / 6.8 req/s): the issue's 34.5 req/s was that shape's total. The
 *                                  clients' 2/4/4 as arrival weights would ask 6.9 uploads of 1,000 results a second,
 *                                  past the per-key limit of uploads in flight (429s) and past what 2 cores ingest.
 * The database is seeded with the demo dataset (scale 1) first; uploads add JUnit reports of `--results` results
 * to a project of their own under new run keys.
 */
import { existsSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { z } from 'zod'
import { benchDatabase, demoSize } from './lib/bench-db'
import { machineLine, writeBenchmarkSection } from './lib/benchmarks'
import { benchOptions, count } from './lib/options'
import { createApiKeyAs, spawnServer } from './lib/spawn-server'
import { junitReport } from './lib/synthetic'

const options = benchOptions({
  seconds: count(60),
  results: count(1000),
  label: z.string().default(''),
  /** Open loop (`--rate`): total arrivals per second, and the weights that split them between the classes. */
  rate: z.coerce.number().min(0, 'takes requests per second (e.g. 34.5)').default(0),
  mix: z.string().default('2/83/15').transform(m => m.split('/').map(Number))
    .refine(w => w.length === 3 && w.every(x => x >= 0) && w.some(x => x > 0), 'takes three weights for uploads/MCP/pages (e.g. 2/83/15)'),
})
const { seconds: SECONDS, results: RESULTS, label: LABEL, rate: RATE, mix: MIX } = options
/** How long the open loop waits for requests still in flight when the arrivals stop. */
const DRAIN_MS = 60_000
const ADMIN = { email: 'bench@example.test', password: 'bench-password-123' }
const CLASSES = { uploads: 2, mcp: 4, pages: 4 } as const
type Kind = keyof typeof CLASSES

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
const memory = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? 0) / 1024

interface Target { url: string, cookie: string, ingestKey: string, readKey: string, runId: string, clusterId: string, testCaseId: string }

/** What one worker of each class asks, the i-th time: a request that must answer 2xx. */
function requestOf(kind: Kind, t: Target, worker: number, i: number): { path: string, init: RequestInit, label: string } {
  if (kind === 'uploads') {
    return {
      label: 'upload',
      path: `/api/v1/runs?project=load&branch=main&runKey=load-${Date.now()}-${worker}-${i}`,
      init: { method: 'POST', headers: { 'authorization': `Bearer ${t.ingestKey}`, 'content-type': 'application/xml' }, body: REPORTS[i % 2] },
    }
  }
  if (kind === 'mcp') {
    const calls: [string, Record<string, unknown>][] = [
      ['list_projects', {}], ['get_project', { projectSlug: 'web' }], ['list_runs', { projectSlug: 'web', limit: 10 }],
      ['get_run', { runId: t.runId, limit: 10 }], ['list_failed_cases', { projectSlug: 'web', limit: 10 }],
      ['list_flaky_tests', { projectSlug: 'web', limit: 10 }], ['get_test_case', { testCaseId: t.testCaseId }],
      ['list_clusters', { projectSlug: 'web', limit: 10 }], ['get_cluster_diagnosis', { clusterId: t.clusterId }],
    ]
    const [name, args] = calls[(i + worker) % calls.length]!
    return {
      label: name,
      path: '/mcp',
      init: {
        method: 'POST',
        headers: { 'authorization': `Bearer ${t.readKey}`, 'content-type': 'application/json', 'accept': 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name, arguments: args } }),
      },
    }
  }
  const pages = ['/', '/projects/web', `/runs/${t.runId}`, `/tests/${t.testCaseId}`, '/projects/web/flaky', `/clusters/${t.clusterId}`]
  const labels = ['/', '/projects/web', '/runs/:id', '/tests/:id', '/projects/web/flaky', '/clusters/:id']
  const k = (i + worker) % pages.length
  return { label: labels[k]!, path: pages[k]!, init: { headers: { cookie: t.cookie } } }
}

let REPORTS: string[] = []
/** When the measured requests begin; those that arrive WARM_MS after it are counted again as "warm" (a fresh server's start left out). */
let RUN_START = 0
const WARM_MS = 10_000

/** Each answer's latency, the same by what was asked (the page, or the MCP tool), and those of the warm requests. */
type Stats = Record<Kind, { ms: number[], errors: string[], by: Map<string, number[]>, warm: number[] }>

async function worker(kind: Kind, t: Target, n: number, until: number, out: Stats[Kind]) {
  for (let i = 0; Date.now() < until; i++) await send(kind, t, n, i, performance.now(), out)
}

/** A request's answer into its class's figures: latency from `from` (its start, or its scheduled arrival). */
async function send(kind: Kind, t: Target, worker: number, i: number, from: number, out: Stats[Kind]) {
  const { path, init, label } = requestOf(kind, t, worker, i)
  const took = (ms: number) => {
    out.ms.push(ms)
    const same = out.by.get(label)
    if (same) same.push(ms)
    else out.by.set(label, [ms])
    if (from - RUN_START >= WARM_MS) out.warm.push(ms)
  }
  try {
    const res = await fetch(`${t.url}${path}`, init)
    const text = await res.text()
    took(performance.now() - from)
    if (res.status >= 300 || (kind === 'mcp' && text.includes('"isError":true'))) out.errors.push(`${path} ${res.status} ${text.slice(0, 200)}`)
  }
  catch (err) {
    took(performance.now() - from)
    out.errors.push(`${path} ${String(err)}`)
  }
}

/**
 * The open loop: each class's arrivals at even intervals (its share of RATE), sent when due whatever is still in
 * flight; a request's i-th arrival asks what worker i % clients would, so the requests match the closed loop's.
 */
async function openLoop(t: Target, seconds: number, stats: Stats) {
  const kinds = Object.keys(CLASSES) as Kind[]
  const weight = MIX.reduce((a, b) => a + b, 0)
  const start = performance.now() + 100
  const inFlight: Promise<void>[] = []
  await Promise.all(kinds.map(async (kind, k) => {
    const rate = RATE * MIX[k]! / weight
    if (rate === 0) return
    for (let i = 0; ; i++) {
      const due = start + (i + 0.5) * 1000 / rate
      if (due - start >= seconds * 1000) return
      const wait = due - performance.now()
      if (wait > 0) await new Promise(r => setTimeout(r, wait))
      inFlight.push(send(kind, t, i % CLASSES[kind], Math.floor(i / CLASSES[kind]), due, stats[kind]))
    }
  }))
  const drained = await Promise.race([Promise.all(inFlight).then(() => true), new Promise(r => setTimeout(r, DRAIN_MS, false))])
  if (!drained) console.log(`requests still unanswered ${DRAIN_MS / 1000} s after the last arrival: not counted`)
}

async function target(url: string): Promise<Target> {
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`)
  const cookie = login.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
  const json = async (path: string) => (await fetch(`${url}${path}`, { headers: { cookie } })).json()
  const run = (await json('/api/projects/web/runs?status=failed&limit=1')).items[0]
  const clusterId = (await json('/api/projects/web/clusters?limit=1')).items[0].id
  const testCaseId = (await json('/api/projects/web/flaky-tests?limit=1')).items[0].testCaseId
  return {
    url, cookie, runId: run.id, clusterId, testCaseId,
    ingestKey: await createApiKeyAs(url, ADMIN, ['ingest']), readKey: await createApiKeyAs(url, ADMIN, ['read']),
  }
}

async function main() {
  const build = process.env.PROOFDECK_BUILD_DIR ?? '.output'
  if (!existsSync(`${build}/server/index.mjs`)) throw new Error('Build first: npm run build')
  const db = await benchDatabase('pd_bench_load', 'Postgres')
  const server = await spawnServer({
    ...db.env, PROOFDECK_DEMO: db.reused ? '0' : '1', NUXT_SESSION_PASSWORD: 'bench-session-password-0123456789abcdef',
    PROOFDECK_ADMIN_EMAIL: ADMIN.email, PROOFDECK_ADMIN_PASSWORD: ADMIN.password, PROOFDECK_BCRYPT_COST: '4',
    // the heap setting under test, when given (docs/scaling.md, "Server memory")
    ...process.env.PROOFDECK_HEAP_GROWTH_PERCENT ? { PROOFDECK_HEAP_GROWTH_PERCENT: process.env.PROOFDECK_HEAP_GROWTH_PERCENT } : {},
  }, { timeoutMs: 300_000 })
  try {
    const [runs, results] = await demoSize(db, server.output)
    REPORTS = [junitReport(RESULTS, 1), junitReport(RESULTS, 2)]
    const t = await target(server.url)
    const stats = Object.fromEntries(Object.keys(CLASSES).map(k =>
      [k, { ms: [] as number[], errors: [] as string[], by: new Map<string, number[]>(), warm: [] as number[] }])) as Stats
    const rss: number[] = []
    const loads: number[] = [loadavg()[0]!]
    const start = Date.now()
    RUN_START = performance.now()
    const until = start + SECONDS * 1000
    const sampler = setInterval(() => {
      if (Date.now() - start >= 10_000) rss.push(memory(server.pid, 'VmRSS'))
      loads.push(loadavg()[0]!)
    }, 1000)
    if (RATE > 0) await openLoop(t, SECONDS, stats)
    else {
      await Promise.all((Object.keys(CLASSES) as Kind[]).flatMap(kind =>
        Array.from({ length: CLASSES[kind] }, (_, n) => worker(kind, t, n, until, stats[kind]))))
    }
    clearInterval(sampler)
    const elapsed = (Date.now() - start) / 1000
    const peak = memory(server.pid, 'VmHWM')
    const steady = quantile([...rss].sort((a, b) => a - b), 0.5)

    const rows = (Object.keys(CLASSES) as Kind[]).map((kind) => {
      const sorted = [...stats[kind].ms].sort((a, b) => a - b)
      const [p50, p95] = [quantile(sorted, 0.5), quantile(sorted, 0.95)]
      return { kind, n: sorted.length, rate: sorted.length / elapsed, p50, p95, errors: stats[kind].errors }
    })
    const total = rows.reduce((n, r) => n + r.n, 0)
    for (const r of rows) {
      console.log(`${r.kind.padEnd(8)} ${r.n} requests, ${r.rate.toFixed(1)}/s, p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, ${r.errors.length} errors`)
      for (const e of r.errors.slice(0, 3)) console.log(`  ${e}`)
      const warm = [...stats[r.kind].warm].sort((a, b) => a - b)
      console.log(`  arrived after the first ${WARM_MS / 1000} s: ${warm.length}, p50 ${quantile(warm, 0.5).toFixed(1)} ms, p95 ${quantile(warm, 0.95).toFixed(1)} ms`)
      if (r.kind === 'uploads') continue
      for (const [label, ms] of stats[r.kind].by) {
        const sorted = [...ms].sort((a, b) => a - b)
        console.log(`  ${label.padEnd(22)} ${String(ms.length).padStart(4)}  p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p95 ${quantile(sorted, 0.95).toFixed(1)} ms`)
      }
    }
    const load = `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`
    console.log(`all      ${(total / elapsed).toFixed(1)} req/s; server RSS steady ${steady.toFixed(0)} MB, peak ${peak.toFixed(0)} MB; load ${load}`)
    const name: Record<Kind, string> = {
      uploads: `uploads (JUnit, ${RESULTS.toLocaleString('en-US')} results)`,
      mcp: 'MCP tools/call (9 tools in turn)',
      pages: 'dashboard pages (SSR, 6 in turn)',
    }
    const shape = RATE > 0
      ? `requests arriving at ${RATE} per second in all (open loop: each sent when due, answered or not; latency counted from the`
      + ` scheduled arrival, so queueing counts), split ${MIX.join('/')} between uploads, MCP calls and pages at even intervals`
      : `${CLASSES.uploads} uploaders, ${CLASSES.mcp} MCP clients and ${CLASSES.pages} page readers, each one request at a time with no pause`
    const asked = (k: number) => (RATE * MIX[k]! / MIX.reduce((a, b) => a + b, 0)).toFixed(1)
    writeBenchmarkSection(`Mixed load on Postgres${RATE > 0 ? `, open loop at ${RATE} req/s` : ''}${LABEL ? `, ${LABEL}` : ''}`, 'bench:load', [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, load average (1 min) ${load} during the run (sampled each`
      + ` second; the load generator runs on the same cores). ${SECONDS} s against the built server (\`${build}\`) on Postgres seeded with the`
      + ` demo dataset (${runs.toLocaleString('en-US')} runs, ${results.toLocaleString('en-US')} results); ${shape}. RSS: median of`
      + ' per-second samples after the first 10 s (steady) and the high-water mark (peak).',
      '',
      `| Class | ${RATE > 0 ? 'Asked/s' : 'Clients'} | Requests | Requests/s | p50 | p95 | Errors |`,
      '|---|---|---|---|---|---|---|',
      ...rows.map((r, k) => `| ${name[r.kind]} | ${RATE > 0 ? asked(k) : CLASSES[r.kind]} | ${r.n} | ${r.rate.toFixed(1)} | ${r.p50.toFixed(0)} ms`
        + ` | ${r.p95.toFixed(0)} ms | ${r.errors.length} |`),
      `| **all** | ${RATE > 0 ? RATE : CLASSES.uploads + CLASSES.mcp + CLASSES.pages} | ${total} | **${(total / elapsed).toFixed(1)}** | | | |`,
      '',
      `Server RSS: steady **${steady.toFixed(0)} MB**, peak **${peak.toFixed(0)} MB** (target: steady ≤ 256 MB).`,
    ].join('\n'))
  }
  finally {
    await server.kill()
    await db.drop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
