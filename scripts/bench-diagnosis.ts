/**
 * npm run bench:diagnosis — loads the demo dataset into the built server (through ingest, as in development),
 * diagnoses every failure cluster with the rule engine, and scores the categories against the dataset's ground
 * truth (which root cause produced each failure). Prints the accuracy, the confusion matrix, context bundle sizes
 * and an example diagnosis, and writes them to BENCHMARKS.md. First, with no server, it scores the category of every
 * failure of the labelled failure set (test/fixtures/failures, categories.json) per failure and per root cause;
 * `--labelled-only` stops there (no build needed).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { generateDemo } from '../server/demo/generate'
import { categoryAccuracy } from '../server/analysis/diagnose'
import { stripAnsi } from '../server/analysis/ansi'
import { machineLine, writeBenchmarkSection } from './lib/benchmarks'
import { benchOptions } from './lib/options'
import { spawnServer } from './lib/spawn-server'
import type { ClusterContext, ClusterDiagnosis, DiagnosisDetail } from '#shared/types/diagnosis'
import { FAILURE_CATEGORIES } from '#shared/constants'

const ADMIN = { email: 'bench@example.test', password: 'bench-password-123' }
const ENV = { NUXT_SESSION_PASSWORD: 'bench-session-password-0123456789abcdef', PROOFDECK_ADMIN_EMAIL: ADMIN.email, PROOFDECK_ADMIN_PASSWORD: ADMIN.password, PROOFDECK_BCRYPT_COST: '4' }

const pct = (x: number) => `${(x * 100).toFixed(1)}%`

/** A confusion matrix as a markdown table: rows the expected category, columns the diagnosed one. */
function confusionTable(confusion: Map<string, Map<string, number>>, labels?: string[]): string {
  const rows = labels ? labels.filter(l => confusion.has(l)) : [...confusion.keys()].sort()
  const cols = labels ?? [...new Set([...confusion.values()].flatMap(r => [...r.keys()]))].sort()
  return [`| expected \\ diagnosed | ${cols.join(' | ')} |`, `|${'---|'.repeat(cols.length + 1)}`,
    ...rows.map(l => `| **${l}** | ${cols.map(c => confusion.get(l)?.get(c) ?? '').join(' | ')} |`)].join('\n')
}

interface LabelledFailure {
  id: string
  rootCause: string
  message: string | null
  stack: string | null
}

/**
 * The rule engine's category of every failure of the labelled failure set, against the category labelled by hand
 * for its root cause; written to its own section of BENCHMARKS.md. Returns the accuracy per failure.
 */
function labelledSetAccuracy(): number {
  const set = JSON.parse(readFileSync('test/fixtures/failures/labelled.json', 'utf8')) as LabelledFailure[]
  const categories = JSON.parse(readFileSync('test/fixtures/failures/categories.json', 'utf8')) as Record<string, string>
  const result = categoryAccuracy(set.map(e => ({ category: categories[e.rootCause] ?? 'unlabelled', message: e.message ?? '', stack: e.stack, group: e.rootCause })))
  const byCause = new Map<string, typeof result.misses>()
  for (const m of result.misses) byCause.set(m.group!, [...(byCause.get(m.group!) ?? []), m])
  const size = new Map<string, number>()
  for (const e of set) size.set(e.rootCause, (size.get(e.rootCause) ?? 0) + 1)
  const misses = [...byCause].map(([cause, ms]) => {
    const got = [...new Set(ms.map(m => m.got))].join(', ')
    // a bare "Failed" (go test) says nothing: quote the first line of the stack that does
    const lines = stripAnsi(`${ms[0]!.message}\n${ms[0]!.stack ?? ''}`).split('\n').map(l => l.trim()).filter(l => l && !/^(?:=== \w+|---)/.test(l))
    const line = lines.find(l => l.length > 12) ?? lines[0] ?? ''
    return `- \`${cause}\` (${ms.length}/${size.get(cause)}): ${ms[0]!.expected} → ${got} — "${line.slice(0, 90)}"`
  })
  const body = `The rule engine's single-message classification (\`classifyError\`, no cluster history, so never flaky or
infrastructure) on \`test/fixtures/failures/labelled.json\` (${set.length} real failures, ${result.groups.total} root causes), against the
category of each root cause labelled by hand in \`categories.json\` (definitions in its \`_doc\`). A root cause counts as right when more
than half of its failures get its category. Target ≥ 90%.

| measure | value |
|---|---|
| category accuracy (per failure) | **${pct(result.accuracy)}** (${result.correct}/${result.total}) |
| category accuracy (per root cause) | **${pct(result.groups.accuracy)}** (${result.groups.correct}/${result.groups.total}) |

Confusion matrix (rows: labelled category, columns: diagnosed; failures):

${confusionTable(result.confusion)}

${misses.length ? `Misses (root cause, failures missed/all, labelled → diagnosed, first line):\n\n${misses.join('\n')}` : 'No misses.'}`
  console.log(`\n${body}`)
  writeBenchmarkSection('Diagnosis categories on the labelled failure set', 'bench:accuracy', body)
  return result.accuracy
}

/** The category a root cause of the demo dataset should get. */
function expectedCategory(rootCause: string): string {
  if (rootCause.startsWith('flaky:')) return 'flaky'
  if (rootCause.startsWith('infra:')) return 'infrastructure'
  return ({
    'web:checkout-button-selector': 'locator', 'api:rounding': 'assertion', 'billing:null-invoice': 'crash',
    'billing:tax-rate': 'assertion', 'ml:registry-env': 'environment',
  } as Record<string, string>)[rootCause] ?? 'unknown'
}

async function main() {
  const options = benchOptions({ 'labelled-only': z.boolean().default(false) })
  const labelledAccuracy = labelledSetAccuracy()
  if (options['labelled-only']) {
    if (labelledAccuracy < 0.9) process.exitCode = 1
    return
  }
  const truth = generateDemo({ seed: 42, scale: 1 }).truth
  // truth titles are spelled as the reports spell them
  const causeOf = new Map(truth.failures.map(f => [`${f.project}|${f.runKey}|${f.title}|${f.variant ?? ''}`, f.rootCause]))

  const dir = mkdtempSync(join(tmpdir(), 'pd-bench-diag-'))
  const env = { ...ENV, PROOFDECK_DATA_DIR: join(dir, 'pglite'), PROOFDECK_DEMO: '1' }
  try {
    let server = await spawnServer(env, { timeoutMs: 120_000 })
    const loadStarted = Date.now()
    while (!/demo data (loaded|not loaded)/.test(server.output())) {
      if (Date.now() - loadStarted > 900_000) throw new Error('the demo dataset did not load in 15 minutes')
      await new Promise(r => setTimeout(r, 500))
    }
    console.log(server.output().match(/\[proofdeck\] demo data[^\n]*/)?.[0])
    await server.kill()

    // Which root cause each cluster's failures come from (ground truth), read straight from the database.
    const { PGlite } = await import('@electric-sql/pglite')
    const db = await PGlite.create(env.PROOFDECK_DATA_DIR)
    const { rows } = await db.query<{ cluster_id: string, slug: string, run_key: string, title: string, variant: string | null }>(`
      select r.cluster_id, p.slug, ru.run_key, tc.title, tc.variant from test_results r
      join runs ru on ru.id = r.run_id join test_cases tc on tc.id = r.test_case_id join projects p on p.id = r.project_id
      where r.cluster_id is not null`)
    await db.close()
    const votes = new Map<string, Map<string, number>>()
    let unmatched = 0
    for (const r of rows) {
      const cause = causeOf.get(`${r.slug}|${r.run_key}|${r.title}|${r.variant ?? ''}`)
      if (!cause) {
        unmatched++
        continue
      }
      const v = votes.get(r.cluster_id) ?? new Map<string, number>()
      const cat = expectedCategory(cause)
      v.set(cat, (v.get(cat) ?? 0) + 1)
      votes.set(r.cluster_id, v)
    }

    server = await spawnServer({ ...env, PROOFDECK_DEMO: '0' }, { timeoutMs: 120_000 })
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
    const cookie = login.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
    const get = async <T>(path: string) => (await fetch(`${server.url}${path}`, { headers: { cookie } })).json() as Promise<T>
    const post = async <T>(path: string) => (await fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie } })).json() as Promise<T>

    const labels = [...FAILURE_CATEGORIES]
    const matrix = new Map<string, Map<string, number>>()
    const tokens: number[] = []
    let correct = 0
    let total = 0
    let weightedCorrect = 0
    let weightedTotal = 0
    let withEvidence = 0
    let omittedAny = 0
    let example: DiagnosisDetail | null = null
    const diagnoseMs: number[] = []
    for (const [clusterId, v] of votes) {
      const [expected, n] = [...v].sort((a, b) => b[1] - a[1])[0]!
      const occurrences = [...v.values()].reduce((s, x) => s + x, 0)
      // the demo load diagnosed every cluster already; a POST times one diagnosis of it (reads never compute one)
      const started = performance.now()
      const d = (await post<ClusterDiagnosis>(`/api/clusters/${clusterId}/diagnosis`)).latest!
      diagnoseMs.push(performance.now() - started)
      const ctx = await get<ClusterContext>(`/api/clusters/${clusterId}/context`)
      tokens.push(ctx.approxTokens)
      if (ctx.omitted.length) omittedAny++
      if (d.evidence.length && d.evidence.every(e => ctx.markdown.includes(e.quote) && ctx.markdown.includes(e.runId))) withEvidence++
      const row = matrix.get(expected) ?? new Map<string, number>()
      row.set(d.category, (row.get(d.category) ?? 0) + 1)
      matrix.set(expected, row)
      total++
      weightedTotal += occurrences
      if (d.category === expected) {
        correct++
        weightedCorrect += n
      }
      if (!example && expected === 'locator' && d.category === 'locator') example = d
      console.log(`${d.category === expected ? 'ok  ' : 'MISS'} ${expected.padEnd(14)} → ${d.category.padEnd(14)} ${String(ctx.approxTokens).padStart(5)} tokens  ${d.summary.slice(0, 150)}`)
      if (process.env.VERBOSE) console.log(JSON.stringify(d, null, 2), '\n', ctx.markdown)
    }
    await server.kill()

    // the labelled real-world failures (every failing result of ../shared/corpus, labelled by hand)
    const corpus = categoryAccuracy(JSON.parse(readFileSync('test/fixtures/diagnosis/corpus-failures.json', 'utf8')))
    const corpusTable = confusionTable(corpus.confusion)

    tokens.sort((a, b) => a - b)
    const accuracy = correct / total
    const table = confusionTable(matrix, labels)
    const median = tokens[Math.floor(tokens.length / 2)] ?? 0
    diagnoseMs.sort((a, b) => a - b)
    const body = `Machine: ${machineLine()}. Demo dataset (seed 42, scale 1) loaded through ingest on PGlite; every cluster diagnosed by the
rule engine (no LLM) and compared with the root cause that generated its failures (majority per cluster; ${unmatched} of ${rows.length} clustered results had no ground-truth entry).

| measure | value |
|---|---|
| clusters | ${total} |
| category accuracy (per cluster) | **${pct(accuracy)}** (${correct}/${total}) |
| category accuracy (per failure) | ${pct(weightedCorrect / weightedTotal)} |
| diagnoses whose every evidence item quotes a line and run id present in the context | ${withEvidence}/${total} |
| context bundle size, tokens (min / median / max; budget 6,000) | ${tokens[0]} / ${median} / ${tokens.at(-1)} |
| bundles that omitted something (caps or budget) | ${omittedAny}/${total} |
| one diagnosis on request (POST), ms (median / max) | ${Math.round(diagnoseMs[Math.floor(diagnoseMs.length / 2)] ?? 0)} / ${Math.round(diagnoseMs.at(-1) ?? 0)} |

Confusion matrix (rows: expected category, columns: diagnosed):

${table}

**Labelled real-world failures** (\`test/fixtures/diagnosis/corpus-failures.json\`: the ${corpus.total} distinct failing results of the reports
in \`../shared/corpus\`, each labelled by hand; single-message classification, so no flaky/infrastructure here). The rules were
written with this set in view, so read it as coverage of real formats rather than as a held-out score:
category accuracy **${pct(corpus.accuracy)}** (${corpus.correct}/${corpus.total}).${corpus.misses.length ? ` Misses: ${corpus.misses.map(m => `${m.expected} → ${m.got} ("${m.message.split('\n')[0]!.slice(0, 60)}")`).join('; ')}.` : ''}

${corpusTable}
${example ? `\nExample (rule engine): **${example.summary}** — ${example.rootCause.split('. ')[0]}. Evidence: \`${example.evidence[0]?.quote}\`.\n` : ''}`
    console.log(`\n${body}`)
    writeBenchmarkSection('Diagnosis accuracy on the demo dataset', 'bench:diagnosis', body)
    if (accuracy < 0.9 || corpus.accuracy < 0.9 || labelledAccuracy < 0.9) process.exitCode = 1
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
