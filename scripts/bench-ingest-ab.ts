import { existsSync, readFileSync } from 'node:fs'
import { z } from 'zod'
import { benchDatabase, type BenchDatabase } from './lib/bench-db'
import { machineLine, writeBenchmarkSection } from './lib/benchmarks'
import { benchOptions, count } from './lib/options'
import { createApiKeyAs, spawnServer, type SpawnedServer } from './lib/spawn-server'
import { junitReport } from './lib/synthetic'

/*
 * Two builds side by side on Postgres, their uploads interleaved: this checkout's `.output` and the one given with
 * `--before`, each on its own fresh database, upload i of one then upload i of the other (the order swapped every
 * round). On this 2-core machine the same build's 7th 50,000-result upload took 2.5 s in one run and 4.4 s in a run
 * minutes later, so a before run followed by an after run (bench:ingest --before) measures the machine's drift as
 * much as the change; interleaved, both builds see the same drift, and each upload is compared with its pair.
 * Per upload from `--from` on: the wall time, the server's CPU time (/proc, every thread: request, parse worker, GC)
 * and the steps of its Server-Timing.
 */

const ADMIN = { email: 'bench@example.test', password: 'bench-password-123' }
const options = benchOptions({
  before: z.string(),
  results: count(50_000),
  uploads: count(12, 2),
  from: count(6),
  mix: z.enum(['green', 'red']).default('green'),
  pause: count(2000, 0),
})

interface Side {
  name: 'before' | 'after'
  server: SpawnedServer
  database: BenchDatabase
  key: string
  ms: number[]
  cpuMs: number[]
  steps: Map<string, number[]>
}

/** The process's CPU time so far (user + system, every thread), in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function start(name: Side['name']): Promise<Side> {
  const database = await benchDatabase(`pd_bench_ab_${name}`, 'Postgres')
  const server = await spawnServer({
    ...database.env, NUXT_SESSION_PASSWORD: 'bench-session-password-0123456789abcdef', PROOFDECK_ADMIN_EMAIL: ADMIN.email,
    PROOFDECK_ADMIN_PASSWORD: ADMIN.password, PROOFDECK_BCRYPT_COST: '4', PROOFDECK_MAX_UPLOAD_MB: '200',
    ...name === 'before' ? { PROOFDECK_BUILD_DIR: options.before } : {},
  })
  const key = await createApiKeyAs(server.url, ADMIN, ['ingest'])
  return { name, server, database, key, ms: [], cpuMs: [], steps: new Map() }
}

async function upload(side: Side, body: string, round: number): Promise<void> {
  const cpu = cpuMs(side.server.pid)
  const started = performance.now()
  const res = await fetch(`${side.server.url}/api/v1/runs?project=bench&runKey=run-${round}&branch=main`, {
    method: 'POST', headers: { 'authorization': `Bearer ${side.key}`, 'content-type': 'application/xml' }, body,
  })
  const answer = await res.text()
  const ms = performance.now() - started
  if (res.status !== 201) throw new Error(`${side.name} upload ${round}: ${res.status} ${answer.slice(0, 300)}`)
  console.log(`${side.name.padEnd(6)} upload ${round}: ${ms.toFixed(0)} ms`)
  if (round < options.from) return
  side.ms.push(ms)
  side.cpuMs.push(cpuMs(side.server.pid) - cpu)
  for (const part of (res.headers.get('server-timing') ?? '').split(', ').filter(Boolean)) {
    const [step, dur] = part.split(';dur=')
    side.steps.set(step!, [...side.steps.get(step!) ?? [], Number(dur)])
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
const ms = (n: number) => `${Math.round(n).toLocaleString('en')} ms`

function report(before: Side, after: Side): string {
  const pairs = after.ms.map((a, i) => a / before.ms[i]!)
  const steps = [...after.steps.keys()].filter(s => median(after.steps.get(s)!) >= 20 || median(before.steps.get(s) ?? []) >= 20)
  return [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine()}, PostgreSQL (DATABASE_URL). The`
    + ` ${options.results.toLocaleString('en')}-result JUnit report of a ${options.mix} build (\`junitReport(n, 1, '${options.mix}')\`), uploaded`
    + ` ${options.uploads} times to each build, interleaved, ${options.pause} ms apart; uploads ${options.from}–${options.uploads} counted`
    + ` (${after.ms.length} pairs). Before: \`${options.before}\`; after: this checkout's \`.output\`. Medians.`,
    '',
    '| | Before | After | After / before, per pair |',
    '|---|---|---|---|',
    `| Upload, wall | ${ms(median(before.ms))} | ${ms(median(after.ms))} | median ${median(pairs).toFixed(2)} (${Math.min(...pairs).toFixed(2)}–${Math.max(...pairs).toFixed(2)}) |`,
    `| Server CPU per upload | ${ms(median(before.cpuMs))} | ${ms(median(after.cpuMs))} | |`,
    ...steps.map(s => `| step \`${s}\` | ${ms(median(before.steps.get(s) ?? []))} | ${ms(median(after.steps.get(s)!))} | |`),
  ].join('\n')
}

async function main() {
  if (!existsSync('.output/server/index.mjs')) throw new Error('Build first: npm run build')
  if (options.from > options.uploads) throw new Error(`--from ${options.from} counts no upload of ${options.uploads}`)
  if (!existsSync(`${options.before}/server/index.mjs`)) throw new Error(`--before ${options.before} is not a build (no server/index.mjs in it)`)
  const body = junitReport(options.results, 1, options.mix)
  const sides = [await start('before'), await start('after')]
  try {
    for (let round = 1; round <= options.uploads; round++) {
      for (const side of round % 2 ? sides : [...sides].reverse()) {
        await new Promise(resolve => setTimeout(resolve, options.pause))
        await upload(side, body, round)
      }
    }
  }
  finally {
    for (const side of sides) {
      await side.server.kill()
      await side.database.drop()
    }
  }
  const section = report(sides[0]!, sides[1]!)
  console.log(`\n${section}`)
  writeBenchmarkSection(`Ingest, two builds interleaved (${options.mix} build)`, 'bench:ingest-ab', section)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
