/**
 * Accuracy of the analysis, against two kinds of ground truth:
 *  1. the demo dataset, loaded through the built server's ingest path into a fresh embedded database: which tests
 *     the generator made flaky, and which root cause produced every failing result;
 *  2. the labelled set of real failure messages in test/fixtures/failures (corpus files and real framework runs).
 * Prints flaky precision/recall/F1 and cluster purity/completeness with the misses, and writes BENCHMARKS.md.
 *
 *   npm run bench:accuracy [-- --scale 1]   (it runs bench:diagnosis first; npm hands the options to the last command)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { z } from 'zod'
import { generateDemo } from '../server/demo'
import { fingerprintFailure } from '../server/analysis/fingerprint'
import { binaryScores, clusterQuality, worstClusters } from '../server/analysis/metrics'
import { machineLine, writeBenchmarkSection } from './lib/benchmarks'
import { benchOptions } from './lib/options'
import { spawnServer } from './lib/spawn-server'

const SCALE = benchOptions({ scale: z.coerce.number().positive().default(1) }).scale
const WINDOW = 30
const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const key = (project: string, title: string, variant: string | null) => `${project} | ${title}${variant ? ` [${variant}]` : ''}`

async function loadDemo(dir: string) {
  const started = Date.now()
  const server = await spawnServer({
    PROOFDECK_DATA_DIR: dir, PROOFDECK_DEMO: '1', PROOFDECK_DEMO_SCALE: String(SCALE),
    NUXT_SESSION_PASSWORD: 'accuracy-benchmark-session-password-0123456789',
  }, { timeoutMs: 120_000 })
  try {
    const deadline = Date.now() + 30 * 60_000
    while (!/demo data (loaded|not loaded)/.test(server.output())) {
      if (Date.now() > deadline) throw new Error(`demo did not load:\n${server.output()}`)
      await new Promise(r => setTimeout(r, 250))
    }
    if (/demo data not loaded/.test(server.output())) throw new Error(server.output())
  }
  finally {
    await server.kill()
  }
  return Date.now() - started
}

async function demoAccuracy() {
  const dataset = generateDemo({ seed: 42, scale: SCALE })
  const dir = mkdtempSync(join(tmpdir(), 'pd-accuracy-'))
  try {
    const loadMs = await loadDemo(join(dir, 'pglite'))
    const db = await PGlite.create(join(dir, 'pglite'))
    const cases = (await db.query<{ slug: string, title: string, variant: string | null, flaky_label: string, flaky_score: number, flaky_confidence: number, flaky_sample: number, observable: boolean }>(`
      select p.slug, tc.title, tc.variant, tc.flaky_label, tc.flaky_score, tc.flaky_confidence, tc.flaky_sample,
        exists (
          select 1 from (
            select r.status, r.flaky from test_results r join runs ru on ru.id = r.run_id
            where r.test_case_id = tc.id and r.status <> 'skipped' and not ru.infra
            order by r.run_started_at desc, r.id desc limit ${WINDOW}
          ) w where w.flaky or w.status in ('failed', 'errored')
        ) as observable
      from test_cases tc join projects p on p.id = tc.project_id`)).rows
    const failures = (await db.query<{ slug: string, run_key: string, title: string, variant: string | null, cluster_id: string | null }>(`
      select p.slug, ru.run_key, tc.title, tc.variant, r.cluster_id
      from test_results r join runs ru on ru.id = r.run_id join test_cases tc on tc.id = r.test_case_id join projects p on p.id = r.project_id
      where r.status in ('failed', 'errored')`)).rows
    const infraRuns = (await db.query<{ run_key: string }>('select run_key from runs where infra')).rows.map(r => r.run_key)
    await db.close()

    const truthFlaky = new Set(dataset.truth.flaky.map(t => key(t.project, t.title, t.variant)))
    const predicted = new Set(cases.filter(c => c.flaky_label === 'flaky').map(c => key(c.slug, c.title, c.variant)))
    const observable = new Set(cases.filter(c => c.observable).map(c => key(c.slug, c.title, c.variant)))
    const truthObservable = new Set([...truthFlaky].filter(k => observable.has(k)))
    const all = binaryScores(predicted, truthFlaky)
    const seen = binaryScores(predicted, truthObservable)
    const byKey = new Map(cases.map(c => [key(c.slug, c.title, c.variant), c]))
    const probability = new Map(dataset.truth.flaky.map(t => [key(t.project, t.title, t.variant), t.probability]))
    const describe = (k: string) => {
      const c = byKey.get(k)
      return `${k} (label ${c?.flaky_label}, score ${c?.flaky_score}, p=${probability.get(k) ?? 0}, sample ${c?.flaky_sample})`
    }
    const falsePositives = [...predicted].filter(k => !truthFlaky.has(k)).map(describe)
    const missed = [...truthObservable].filter(k => !predicted.has(k)).map(describe)
    const unobservable = [...truthFlaky].filter(k => !observable.has(k)).map(describe)
    const brokenNow = dataset.truth.broken.filter(b => b.toRunKey === null).map(b => key(b.project, b.title, b.variant))
    const brokenLabelled = brokenNow.filter(k => byKey.get(k)?.flaky_label === 'broken').length

    const rootCause = new Map(dataset.truth.failures.map(f => [`${f.project}|${f.runKey}|${key(f.project, f.title, f.variant)}`, f.rootCause]))
    const items = failures.map(f => ({
      truth: rootCause.get(`${f.slug}|${f.run_key}|${key(f.slug, f.title, f.variant)}`) ?? 'unknown',
      predicted: f.cluster_id ?? `unclustered:${f.slug}|${f.run_key}|${f.title}`,
    }))
    const quality = clusterQuality(items)
    const truthInfra = new Set(dataset.truth.infraRuns)

    return {
      loadMs, runs: dataset.uploads.length, tests: cases.length, failures: failures.length, truthFailures: dataset.truth.failures.length,
      flaky: {
        all, seen, truth: truthFlaky.size, observable: truthObservable.size, predicted: predicted.size,
        falsePositives, missed, unobservable,
      },
      broken: { now: brokenNow.length, labelled: brokenLabelled },
      infra: { detected: infraRuns.length, truth: truthInfra.size, matching: infraRuns.filter(r => truthInfra.has(r)).length },
      clusters: quality, worst: worstClusters(items, 5),
    }
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

interface Labelled { id: string, framework: string, source: string, rootCause: string, message: string | null, stack: string | null }

function labelledAccuracy() {
  const file = 'test/fixtures/failures/labelled.json'
  if (!existsSync(file)) throw new Error(`${file} is missing: the labelled set is part of the benchmark`)
  const set = JSON.parse(readFileSync(file, 'utf8')) as Labelled[]
  const items = set.map(e => ({ truth: e.rootCause, predicted: fingerprintFailure({ message: e.message, stack: e.stack })?.fingerprint ?? `none:${e.id}` }))
  const frameworks = new Map<string, number>()
  for (const e of set) frameworks.set(e.framework, (frameworks.get(e.framework) ?? 0) + 1)
  return {
    n: set.length, corpus: set.filter(e => e.source.startsWith('corpus:')).length, runs: set.filter(e => e.source.startsWith('run:')).length,
    frameworks: [...frameworks].sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f} ${n}`).join(', '),
    quality: clusterQuality(items), worst: worstClusters(items, 5),
  }
}

async function main() {
  if (!existsSync('.output/server/index.mjs')) throw new Error('Build first: npm run build')
  const labelled = labelledAccuracy()
  const demo = await demoAccuracy()
  const f = demo.flaky
  const lines = [
    `Flaky detection (demo, scale ${SCALE}): F1 ${pct(f.all.f1)} (precision ${pct(f.all.precision)}, recall ${pct(f.all.recall)}) against all ${f.truth} tests made flaky;`,
    `  F1 ${pct(f.seen.f1)} (precision ${pct(f.seen.precision)}, recall ${pct(f.seen.recall)}) against the ${f.observable} that failed at least once in their ${WINDOW}-result window.`,
    `Currently broken tests labelled broken: ${demo.broken.labelled} of ${demo.broken.now}. Infrastructure runs detected: ${demo.infra.detected} (${demo.infra.matching} of ${demo.infra.truth} true ones).`,
    `Clusters (demo): purity ${pct(demo.clusters.purity)}, completeness ${pct(demo.clusters.completeness)} over ${demo.failures} failing results (${demo.clusters.clusters} clusters, ${demo.clusters.classes} root causes).`,
    `Clusters (labelled set): purity ${pct(labelled.quality.purity)}, completeness ${pct(labelled.quality.completeness)} over ${labelled.n} messages (${labelled.quality.clusters} clusters, ${labelled.quality.classes} root causes).`,
  ]
  console.log(lines.join('\n'))
  const misses = [
    ...f.falsePositives.map(m => `- flagged flaky but not made flaky: ${m}`),
    ...f.missed.map(m => `- made flaky, failed in the window, not flagged: ${m}`),
    ...demo.worst.map(w => `- demo cluster miss: ${w}`),
    ...labelled.worst.map(w => `- labelled-set miss: ${w}`),
  ]
  if (misses.length) console.log(`\nMisses:\n${misses.join('\n')}`)
  if (f.unobservable.length) console.log(`\nMade flaky but never failed in their window (no detector can see them):\n${f.unobservable.map(u => `- ${u}`).join('\n')}`)

  writeBenchmarkSection('Accuracy', 'bench:accuracy', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}.

**Demo dataset** (\`server/demo\`, seed 42, scale ${SCALE}: ${demo.runs} runs, ${demo.tests} test cases, ${demo.failures} failing results), loaded through the built server's ingest path into a fresh PGlite in ${(demo.loadMs / 1000).toFixed(1)} s. The generator records which tests it made flaky (per-attempt failure probability 0.05–0.40), which it broke by a regression, which runs it made an infrastructure outage, and the root cause of every failing result.

| Measure | Value | Target |
|---|---|---|
| Flaky F1, against every test made flaky (${f.truth}) | ${pct(f.all.f1)} (P ${pct(f.all.precision)}, R ${pct(f.all.recall)}) | ≥ 95% |
| Flaky F1, against those that failed at least once in their window (${f.observable}) | ${pct(f.seen.f1)} (P ${pct(f.seen.precision)}, R ${pct(f.seen.recall)}) | ≥ 95% |
| Stable or broken tests flagged flaky | ${f.falsePositives.length} | 0 |
| Tests broken now, labelled broken | ${demo.broken.labelled} / ${demo.broken.now} | all |
| Infrastructure runs detected (true ones) | ${demo.infra.detected} (${demo.infra.matching} / ${demo.infra.truth}) | all, no others |
| Cluster purity | ${pct(demo.clusters.purity)} | ≥ 95% |
| Cluster completeness | ${pct(demo.clusters.completeness)} | ≥ 95% |

**Labelled real-world failures** (\`test/fixtures/failures/labelled.json\`: ${labelled.n} messages, ${labelled.corpus} from \`../shared/corpus\` files and ${labelled.runs} from real runs; ${labelled.frameworks}), fingerprinted directly:

| Measure | Value | Target |
|---|---|---|
| Cluster purity | ${pct(labelled.quality.purity)} (${labelled.quality.clusters} clusters) | ≥ 95% |
| Cluster completeness | ${pct(labelled.quality.completeness)} (${labelled.quality.classes} root causes) | ≥ 95% |

${misses.length ? `Misses:\n\n${misses.join('\n')}` : 'No misses.'}${f.unobservable.length ? `\n\n${f.unobservable.length} test(s) made flaky never failed in their window, so no detector could flag them: ${f.unobservable.join('; ')}.` : ''}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
