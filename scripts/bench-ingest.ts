/**
 * npm run bench:ingest — uploads generated reports to the built server over HTTP (the path CI takes: auth,
 * body, parse, one transaction) on embedded PGlite, and on Postgres when DATABASE_URL is set. Prints
 * results/second and the server's peak RSS, and writes the table to BENCHMARKS.md.
 */
import { existsSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { z } from 'zod'
import { benchDatabase } from './lib/bench-db'
import { writeBenchmarkSection, machineLine } from './lib/benchmarks'
import { benchOptions, count } from './lib/options'
import { createApiKeyAs, spawnServer } from './lib/spawn-server'
import { junitReport, playwrightReport } from './lib/synthetic'
import { INGEST_ADMIN, ingestServerEnv, postUpload } from './lib/uploads'

const CASES = [
  { label: 'JUnit XML, 1,000 results', format: 'junit', n: 1_000 },
  { label: 'JUnit XML, 10,000 results', format: 'junit', n: 10_000 },
  { label: 'JUnit XML, 50,000 results', format: 'junit', n: 50_000 },
  /** The same size of a usual build: 0.8% of its tests failing or passed on retry, against 10% in the other JUnit cases. */
  { label: 'JUnit XML, 50,000 results, a green build', format: 'junit', n: 50_000, mix: 'green' },
  /** A surefire-style directory, one file per group of test classes, sent as one multipart upload (the CLI sends up to 50). */
  { label: 'JUnit XML in 50 files, 10,000 results', format: 'junit', n: 10_000, files: 50 },
  { label: 'Playwright JSON, 50,000 results', format: 'playwright', n: 50_000 },
  { label: 'JUnit XML, 350,000 results (50 MB)', format: 'junit', n: 350_000 },
  { label: 'Playwright JSON, 117,000 results (50 MB)', format: 'playwright', n: 117_000 },
  /** The 50 MB JUnit report as two files of one multipart upload (read one at a time: past 8 MB an upload gets one parse worker). */
  { label: 'JUnit XML in 2 files, 350,000 results (50 MB)', format: 'junit', n: 350_000, files: 2 },
  /** The 50 MB JUnit report as the CLI sends it: one file, multipart. */
  { label: 'JUnit XML in 1 file, multipart, 350,000 results (50 MB)', format: 'junit', n: 350_000, files: 1 },
] as const
/**
 * `npm run bench:ingest -- JUnit XML, 10` measures only the cases whose label contains the words given, `a|b` either
 * (on Postgres with DATABASE_URL).
 * `--before <dir>` also measures another build (an earlier commit's `.output`, copied to <dir>), case by case right before
 * this one, and the COPY section shows both.
 * `--day-runs N`: after those, the report is uploaded again until N runs of it started on the same day, and the
 * per-test day rollups' cost is printed at a few of them: a busy project's day, where it must not grow with the day's
 * runs (the `days` step of a build that rolls them up in the upload, before 800d160; since, on Postgres, how long
 * after the receipt the roll was done). Every step of the last nine is printed as their median: past the 60th run the flakiness
 * window of the report's failing tests is full, the steady state of a long-lived project.
 */
const options = benchOptions({ 'before': z.string().optional(), 'day-runs': count(0, 0) }, { positionals: true })
const beforeDir = options.before
const DAY_RUNS = options['day-runs']
/** The last runs of the day whose steps are printed as medians (one upload's steps move by a third between runs). */
const LAST_DAY_RUNS = 9
const only = options.positionals.join(' ')
/** The steady upload is the seventh (a test is `new` for its first five runs); cases up to this size measure it. */
const STEADY_RUN = 7
const STEADY_MAX = 50_000
/** After the seventh upload, this many uploads of the same report at once (a CI matrix; one key takes 4 in flight). */
const AT_ONCE = 4

/** The server's peak (VmHWM) or current (VmRSS) resident memory. */
function rssMb(pid: number, field: 'VmHWM' | 'VmRSS' = 'VmHWM'): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`))
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN
}

/**
 * The machine's limit for the same rows: the next upload's stored results read back with COPY TO and written with
 * COPY FROM (timed) into an empty copy of test_results with its indexes (`like … including all`), on the same Postgres.
 */
async function copyRate(url: string): Promise<{ rows: number, ms: number }> {
  const { default: postgres } = await import('postgres')
  // postgres.js keeps the connection of a COPY TO busy after its stream ends: the read gets a client of its own
  const reader = postgres(url, { max: 1, onnotice: () => {} })
  const chunks: Buffer[] = []
  try {
    const [run] = await reader<{ id: string }[]>`select id from runs where run_key = 'run-2'`
    if (!/^[0-9a-f-]{36}$/.test(run?.id ?? '')) throw new Error('the second upload\'s run is missing')
    for await (const chunk of await reader.unsafe(`copy (select * from test_results where run_id = '${run!.id}') to stdout`).readable()) {
      chunks.push(chunk as Buffer)
    }
  }
  finally {
    await reader.end()
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    await sql`create table copy_bench (like test_results including all)`
    const started = performance.now()
    await pipeline(Readable.from(chunks), await sql`copy copy_bench from stdin`.writable())
    const ms = performance.now() - started
    const [counted] = await sql<{ n: number }[]>`select count(*)::int as n from copy_bench`
    await sql`drop table copy_bench`
    return { rows: counted!.n, ms }
  }
  finally {
    await sql.end()
  }
}

/**
 * Postgres: waits until the day rollups of the runs of these keys are done (they are rolled up after the upload's
 * commit, services/test-rollups.ts) and returns when; null for a build that rolls them up inside the upload.
 */
async function rolledUpAt(url: string, runKeys: string[]): Promise<number | null> {
  const { default: postgres } = await import('postgres')
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    for (;;) {
      const [due] = await sql<{ n: number }[]>`select count(*)::int as n from test_days_due d join runs r on r.id = d.run_id
        where r.run_key = any(${runKeys})`
      if (!due!.n) return performance.now()
      await new Promise(r => setTimeout(r, 2))
    }
  }
  catch (err) {
    if (/test_days_due/.test((err as Error).message)) return null
    throw err
  }
  finally {
    await sql.end()
  }
}

interface Row {
  db: string
  /** `before`: the build given with --before; `after`: this checkout's `.output`. */
  build: 'before' | 'after'
  label: string
  bytes: number
  firstMs: number
  nextMs: number
  /** The server's steps of the next upload (empty for a build without Server-Timing). */
  nextSteps: Map<string, number>
  /** The seventh upload: every test past its first five runs (`new`), the steady state of a CI history. */
  steady?: { ms: number, perSecond: number, steps: Map<string, number>, rolledMs?: number }
  /** AT_ONCE uploads sent together after the seventh: the wall time until the last answered, and results/s over it. */
  atOnce?: { ms: number, perSecond: number, rolledMs?: number }
  perSecond: number
  idleMb: number
  rssMb: number
  /** Postgres: a raw COPY of the same result rows, results/s. */
  copyPerSecond?: number
}

async function measure(db: 'PGlite' | 'Postgres'): Promise<Row[]> {
  const rows: Row[] = []
  for (const c of CASES.filter(c => only.split('|').some(o => c.label.includes(o.trim())))) {
    const report = c.format === 'junit' ? junitReport(c.n, 1, 'mix' in c ? c.mix : 'red') : playwrightReport(c.n)
    const body = 'files' in c ? multipart(junitFiles(report, c.files)) : { text: report, type: c.format === 'junit' ? 'application/xml' : 'application/json' }
    if (beforeDir) rows.push(await measureCase(db, c, body, 'before'))
    rows.push(await measureCase(db, c, body, 'after'))
  }
  return rows
}

/** A JUnit report's test suites in `count` files of their own, each a `<testsuites>` document. */
function junitFiles(report: string, count: number): string[] {
  const suites = report.match(/<testsuite [\s\S]*?<\/testsuite>/g) ?? []
  const per = Math.ceil(suites.length / count)
  return Array.from({ length: Math.ceil(suites.length / per) }, (_, i) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.slice(i * per, (i + 1) * per).join('\n')}\n</testsuites>`)
}

/** Files as one multipart/form-data body, each a `file` part (TEST-<n>.xml), as the CLI sends a directory. */
function multipart(files: string[]): { text: string, type: string } {
  const boundary = `bench-${Date.now().toString(36)}`
  const parts = files.map((f, i) => `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="TEST-${i}.xml"\r\ncontent-type: application/xml\r\n\r\n${f}\r\n`)
  return { text: `${parts.join('')}--${boundary}--\r\n`, type: `multipart/form-data; boundary=${boundary}` }
}

/** Both uploads of one case on a fresh database, on this build or the one given with --before. */
async function measureCase(db: 'PGlite' | 'Postgres', c: typeof CASES[number], { text: body, type }: { text: string, type: string }, build: Row['build']): Promise<Row> {
  const database = await benchDatabase('pd_bench_ingest', db)
  const server = await spawnServer(ingestServerEnv(database.env, build === 'before' ? beforeDir : undefined))
  try {
    const key = await createApiKeyAs(server.url, INGEST_ADMIN, ['ingest'])
    const idleMb = rssMb(server.pid, 'VmRSS')
    const first = await postUpload(server.url, key, body, { project: 'bench', runKey: 'run-1', branch: 'main' }, type)
    const next = await postUpload(server.url, key, body, { project: 'bench', runKey: 'run-2', branch: 'main' }, type)
    let steady: Row['steady']
    let atOnce: Row['atOnce']
    if (c.n <= STEADY_MAX) {
      for (let i = 3; i < STEADY_RUN; i++) await postUpload(server.url, key, body, { project: 'bench', runKey: `run-${i}`, branch: 'main' }, type)
      // the day rollups, after the commit: when the uploads' whole work is done, as well as when the receipt came
      const rolled = async (started: number, runKeys: string[]) => {
        if (db !== 'Postgres') return undefined
        const at = await rolledUpAt(database.env.DATABASE_URL!, runKeys)
        return at === null ? undefined : at - started
      }
      let started = performance.now()
      const s = await postUpload(server.url, key, body, { project: 'bench', runKey: `run-${STEADY_RUN}`, branch: 'main' }, type)
      steady = { ms: s.ms, perSecond: s.tests / (s.ms / 1000), steps: s.steps, rolledMs: await rolled(started, [`run-${STEADY_RUN}`]) }
      started = performance.now()
      const matrix = Array.from({ length: AT_ONCE }, (_, i) => `matrix-${i}`)
      const together = await Promise.all(matrix.map((runKey, i) =>
        postUpload(server.url, key, body, { project: 'bench', runKey, branch: 'main', environment: `job-${i}` }, type)))
      const ms = performance.now() - started
      atOnce = { ms, perSecond: together.reduce((a, t) => a + t.tests, 0) / (ms / 1000), rolledMs: await rolled(started, matrix) }
      const days: string[] = []
      const last: { ms: number, steps: Map<string, number> }[] = []
      for (let n = STEADY_RUN + AT_ONCE + 1; n <= DAY_RUNS; n++) {
        const sent = performance.now()
        const u = await postUpload(server.url, key, body, { project: 'bench', runKey: `day-${n}`, branch: 'main' }, type)
        if (n % 25 === 0 || n === DAY_RUNS) {
          const after = u.steps.has('days') ? undefined : await rolled(sent, [`day-${n}`])
          if (u.steps.has('days')) days.push(`run ${n}: days ${u.steps.get('days')!.toFixed(0)} ms of ${u.ms.toFixed(0)} ms`)
          else if (after !== undefined) days.push(`run ${n}: day rollups done ${(after - u.ms).toFixed(0)} ms after the ${u.ms.toFixed(0)} ms receipt`)
        }
        if (n > DAY_RUNS - LAST_DAY_RUNS) last.push(u)
      }
      if (days.length) console.log(`         ${build} ${c.label}, one day's runs: ${days.join(', ')}`)
      if (last.length) {
        const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
        const steps = [...last[0]!.steps.keys()].map(k => `${k} ${median(last.map(u => u.steps.get(k) ?? 0)).toFixed(0)}`)
        console.log(`         runs ${DAY_RUNS - last.length + 1}–${DAY_RUNS}, median: upload ${median(last.map(u => u.ms)).toFixed(0)} ms; ${steps.join(', ')}`)
      }
    }
    const row: Row = {
      db, build, label: c.label, bytes: Buffer.byteLength(body),
      firstMs: first.ms, nextMs: next.ms, nextSteps: next.steps, perSecond: next.tests / (next.ms / 1000), steady, atOnce,
      idleMb, rssMb: rssMb(server.pid) as number, copyPerSecond: undefined as number | undefined,
    }
    if (db === 'Postgres') {
      const copy = await copyRate(database.env.DATABASE_URL!)
      row.copyPerSecond = copy.rows / (copy.ms / 1000)
    }
    const vsCopy = row.copyPerSecond ? `  COPY ${Math.round(row.copyPerSecond).toLocaleString('en')} rows/s (${pct(row)} of it)` : ''
    const rolledLine = (ms?: number) => (ms === undefined ? '' : `, day rollups done at ${ms.toFixed(0)} ms`)
    const atOnceLine = atOnce
      ? `  ${AT_ONCE} at once ${atOnce.ms.toFixed(0)} ms (${perSecond(atOnce.perSecond)} results/s${row.copyPerSecond ? `, ${pct(row, atOnce.perSecond)} of COPY` : ''}${rolledLine(atOnce.rolledMs)})`
      : ''
    const steadyLine = (steady ? `  7th ${steady.ms.toFixed(0)} ms (${perSecond(steady.perSecond)} results/s${rolledLine(steady.rolledMs)})` : '') + atOnceLine
    console.log(`${db.padEnd(8)} ${build.padEnd(6)} ${c.label.padEnd(32)} first ${first.ms.toFixed(0).padStart(6)} ms  next ${next.ms.toFixed(0).padStart(6)} ms  ${Math.round(row.perSecond).toLocaleString('en').padStart(7)} results/s${steadyLine}  RSS idle ${row.idleMb} MB, peak ${row.rssMb} MB${vsCopy}`)
    for (const [name, steps] of [['next', next.steps], ['7th', steady?.steps]] as const) {
      if (steps?.size) console.log(`         ${name.padEnd(5)} ${[...steps].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`)
    }
    return row
  }
  finally {
    await server.kill()
    await database.drop()
  }
}

const pct = (r: Row, rate = r.perSecond) => `${Math.round(100 * rate / r.copyPerSecond!)}%`

const perSecond = (n: number) => Math.round(n).toLocaleString('en')

/** The COPY table: with a --before build, each case before → after (each with the COPY measured in its own run). */
function copyTable(measured: Row[]): string[] {
  const after = measured.filter(r => r.build === 'after')
  const before = new Map(measured.filter(r => r.build === 'before').map(r => [r.label, r]))
  if (!before.size) {
    return [`| Report | Ingest, results/s (next) | Ingest, results/s (7th) | ${AT_ONCE} uploads at once, results/s | COPY, rows/s | Ingest / COPY (next / 7th / ${AT_ONCE} at once) |`,
      '|---|---|---|---|---|---|',
      ...after.map(r => `| ${r.label} | ${perSecond(r.perSecond)} | ${r.steady ? perSecond(r.steady.perSecond) : '–'} | ${r.atOnce ? perSecond(r.atOnce.perSecond) : '–'} | ${perSecond(r.copyPerSecond!)} | ${pct(r)} / ${r.steady ? pct(r, r.steady.perSecond) : '–'} / ${r.atOnce ? pct(r, r.atOnce.perSecond) : '–'} |`)]
  }
  const atOnce = (r: Row | undefined) => r?.atOnce ? `${r.atOnce.ms.toFixed(0)} ms, ${pct(r, r.atOnce.perSecond)}` : '–'
  return [`| Report | Next upload, before → after | 7th upload, before → after | ${AT_ONCE} at once (wall, of COPY), before → after | COPY, rows/s (before / after run) | Ingest / COPY (next / 7th), before → after |`,
    '|---|---|---|---|---|---|',
    ...after.map((r) => {
      const b = before.get(r.label)
      const steady = (x: Row | undefined) => x?.steady ? `${x.steady.ms.toFixed(0)} ms` : '–'
      const ratios = (x: Row) => `${pct(x)} / ${x.steady ? pct(x, x.steady.perSecond) : '–'}`
      if (!b) return `| ${r.label} | ${r.nextMs.toFixed(0)} ms | ${steady(r)} | ${atOnce(r)} | ${perSecond(r.copyPerSecond!)} | ${ratios(r)} |`
      return `| ${r.label} | ${b.nextMs.toFixed(0)} → ${r.nextMs.toFixed(0)} ms | ${steady(b)} → ${steady(r)} | ${atOnce(b)} → ${atOnce(r)} | ${perSecond(b.copyPerSecond!)} / ${perSecond(r.copyPerSecond!)} | ${ratios(b)} → ${ratios(r)} |`
    })]
}

/** Where the server's time went, per step (Server-Timing) of the next and the seventh upload of each case measured. */
function stepsTable(measured: Row[]): string[] {
  const cases = measured.filter(r => r.build === 'after' && r.nextSteps.size)
  if (!cases.length) return []
  const names = [...new Set(cases.flatMap(r => [...r.nextSteps.keys(), ...r.steady?.steps.keys() ?? []]))]
  const cell = (steps: Map<string, number> | undefined, name: string) => steps?.has(name) ? steps.get(name)!.toFixed(0) : '–'
  const total = (steps: Map<string, number> | undefined) => steps ? [...steps.values()].reduce((a, b) => a + b, 0).toFixed(0) : '–'
  return ['', 'Where the time went, ms per step of the server (the upload\'s `Server-Timing`), next / 7th upload:', '',
    `| Step | ${cases.map(r => r.label).join(' | ')} |`, `|---|${cases.map(() => '---|').join('')}`,
    ...names.map(n => `| ${n} | ${cases.map(r => `${cell(r.nextSteps, n)} / ${cell(r.steady?.steps, n)}`).join(' | ')} |`),
    `| **sum** | ${cases.map(r => `${total(r.nextSteps)} / ${total(r.steady?.steps)}`).join(' | ')} |`]
}

/** The section comparing ingest with COPY, written by every run that measured Postgres (a partial one too). */
function writeCopySection(rows: Row[]): void {
  const measured = rows.filter(r => r.copyPerSecond)
  if (!measured.length) return
  writeBenchmarkSection('Ingest against a raw COPY', 'bench:ingest', [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, load average (1 / 5 / 15 min) ${loadavg().map(l => l.toFixed(1)).join(' / ')}`
    + ' at the end. Each Postgres case of the ingest table, in the same run: the next upload (known tests, each in its second run) over HTTP,'
    + ' and for cases up to 50,000 results the seventh (every test past the five runs it is labelled `new`: the steady state of a CI history),'
    + ` then ${AT_ONCE} uploads of it at once under other run keys (a CI matrix: the wall time until the last answered); then the results the next upload`
    + ' stored copied with `COPY FROM` into an empty copy of `test_results` with all its indexes on the same Postgres (the machine\'s'
    + ' limit for those rows: no parsing, no attempts, test cases or clusters, no HTTP). Target: ingest at ≥ 50% of COPY.'
    + (beforeDir ? ' Before: the build given with `--before`, measured on a fresh database right before this one, case by case.' : ''),
    '',
    ...copyTable(measured),
    ...stepsTable(measured),
  ].join('\n'))
}

async function main() {
  if (!existsSync('.output/server/index.mjs')) throw new Error('Build first: npm run build')
  if (only) {
    // a partial run prints its figures and leaves the ingest table to the full run (the COPY comparison is its own section)
    writeCopySection(await measure(process.env.DATABASE_URL ? 'Postgres' : 'PGlite'))
    return
  }
  const rows = await measure('PGlite')
  if (process.env.DATABASE_URL) rows.push(...await measure('Postgres'))
  else console.log('(set DATABASE_URL=postgres://… to also measure Postgres)')
  writeCopySection(rows)

  const table = [
    '| Database | Report | Size | First upload (new tests) | Next upload (known tests) | Results/s (next) | Server RSS idle → peak |',
    '|---|---|---|---|---|---|---|',
    ...rows.filter(r => r.build === 'after').map(r => `| ${r.db} | ${r.label} | ${(r.bytes / 1048576).toFixed(1)} MB | ${r.firstMs.toFixed(0)} ms | ${r.nextMs.toFixed(0)} ms | ${Math.round(r.perSecond).toLocaleString('en')} | ${r.idleMb} → ${r.rssMb} MB |`),
  ].join('\n')
  writeBenchmarkSection('Ingest', 'bench:ingest', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}. Each report is uploaded over HTTP to the built server (\`.output\`) on a fresh database, twice under two run keys: the first upload creates every test case, the second is the steady state of CI (known tests). Times are the whole request: auth, body, parse, one transaction. Memory is the server process's resident set when idle after start (VmRSS) and its high-water mark (VmHWM) after both uploads; on PGlite the embedded Postgres (WebAssembly) lives in the same process. Reports are generated by \`scripts/lib/synthetic.ts\` (JUnit: 8% failures with stacks, 3% skipped, 2% Surefire flaky; Playwright: 2 projects, retries, 5% failed, 4% flaky).\n\n${table}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
