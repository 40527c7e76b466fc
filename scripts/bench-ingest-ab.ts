import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { z } from 'zod'
import { benchDatabase, type BenchDatabase } from './lib/bench-db'
import { machineLine, processCpuMs, writeBenchmarkSection } from './lib/benchmarks'
import { benchOptions, count } from './lib/options'
import { createApiKeyAs, spawnServer, type SpawnedServer } from './lib/spawn-server'
import { junitReport } from './lib/synthetic'
import { INGEST_ADMIN, ingestServerEnv, postUpload } from './lib/uploads'

/*
 * Two builds side by side on Postgres, their uploads interleaved: this checkout's `.output` and the one given with
 * `--before`, each on its own fresh database, upload i of one then upload i of the other (the order swapped every
 * round). On this 2-core machine the same build's 7th 50,000-result upload took 2.5 s in one run and 4.4 s in a run
 * minutes later, so a before run followed by an after run (bench:ingest --before) measures the machine's drift as
 * much as the change; interleaved, both builds see the same drift, and each upload is compared with its pair.
 * Per upload from `--from` on: the wall time, the server's CPU time (/proc, every thread: request, parse worker, GC)
 * and the steps of its Server-Timing.
 */

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

/**
 * The commit of the checkout a build lies in (`951aae6`, `+` when it has changes not committed), or null outside one: the
 * checkout's now, which names the build as long as it was built from it (a worktree per build, as `--before` takes).
 */
function commitOf(dir: string): string | null {
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? '+' : ''}`
  }
  catch {
    return null
  }
}

async function start(name: Side['name']): Promise<Side> {
  const database = await benchDatabase(`pd_bench_ab_${name}`, 'Postgres')
  const server = await spawnServer(ingestServerEnv(database.env, name === 'before' ? options.before : undefined))
  const key = await createApiKeyAs(server.url, INGEST_ADMIN, ['ingest'])
  return { name, server, database, key, ms: [], cpuMs: [], steps: new Map() }
}

async function upload(side: Side, body: string, round: number): Promise<void> {
  const cpu = processCpuMs(side.server.pid)
  const { ms, steps } = await postUpload(side.server.url, side.key, body, { project: 'bench', runKey: `run-${round}`, branch: 'main' }, 'application/xml')
  console.log(`${side.name.padEnd(6)} upload ${round}: ${ms.toFixed(0)} ms`)
  if (round < options.from) return
  side.ms.push(ms)
  side.cpuMs.push(processCpuMs(side.server.pid) - cpu)
  for (const [step, dur] of steps) side.steps.set(step, [...side.steps.get(step) ?? [], dur])
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
const ms = (n: number) => `${Math.round(n).toLocaleString('en')} ms`

function report(before: Side, after: Side): string {
  const pairs = after.ms.map((a, i) => a / before.ms[i]!)
  const of = (side: Side, step: string) => median(side.steps.get(step) ?? [])
  // a step either build has (one may have steps the other has not), when it takes 20 ms or more in either
  const steps = [...new Set([...before.steps.keys(), ...after.steps.keys()])].filter(s => of(before, s) >= 20 || of(after, s) >= 20)
  const named = (dir: string, commit = commitOf(dir)) => `\`${dir}\`${commit ? ` (${commit})` : ''}`
  return [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine()}, PostgreSQL (DATABASE_URL). The`
    + ` ${options.results.toLocaleString('en')}-result JUnit report of a ${options.mix} build (\`junitReport(n, 1, '${options.mix}')\`), uploaded`
    + ` ${options.uploads} times to each build, interleaved, ${options.pause} ms apart; uploads ${options.from}–${options.uploads} counted`
    + ` (${after.ms.length} pairs). Before: ${named(options.before)}; after: ${named('.output')}. Medians.`,
    '',
    '| | Before | After | After / before, per pair |',
    '|---|---|---|---|',
    `| Upload, wall | ${ms(median(before.ms))} | ${ms(median(after.ms))} | median ${median(pairs).toFixed(2)} (${Math.min(...pairs).toFixed(2)}–${Math.max(...pairs).toFixed(2)}) |`,
    `| Server CPU per upload | ${ms(median(before.cpuMs))} | ${ms(median(after.cpuMs))} | |`,
    ...steps.map(s => `| step \`${s}\` | ${ms(of(before, s))} | ${ms(of(after, s))} | |`),
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
