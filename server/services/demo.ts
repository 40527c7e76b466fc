import { count } from 'drizzle-orm'
import { useDb, schema } from '../db'
import { generateDemo } from '../demo'
import { diagnoseStaleClusters } from './diagnoses'
import { ingestRun } from './ingest'
import { systemScope } from './scope'
import { rollUpAllDue } from './test-rollups'

/**
 * Loads the demo dataset through the same ingest path CI uses. Only into an empty database, so a restart or a
 * second process never doubles it. Returns once every demo cluster has its diagnosis.
 */
export async function loadDemoIfEmpty(
  opts: { scale?: number, seed?: number } = {},
): Promise<{ loaded: boolean, runs: number, results: number, ms: number }> {
  const db = await useDb()
  const [row] = await db.select({ n: count() }).from(schema.projects)
  if ((row?.n ?? 0) > 0) return { loaded: false, runs: 0, results: 0, ms: 0 }
  const started = Date.now()
  const dataset = generateDemo({ seed: opts.seed ?? 42, scale: opts.scale ?? 1, now: new Date() })
  await db.insert(schema.projects)
    .values(dataset.projects.map(p => ({ slug: p.slug, name: p.name, defaultBranch: p.defaultBranch, repositoryUrl: p.repositoryUrl })))
    .onConflictDoNothing()
  let results = 0
  for (const u of dataset.uploads) {
    const { receipt } = await ingestRun(systemScope(), {
      project: u.project, branch: u.branch, defaultBranch: undefined, job: undefined, commit: u.commit, commitMessage: u.commitMessage,
      buildUrl: u.buildUrl, runKey: u.runKey, environment: u.environment, startedAt: u.startedAt,
    }, u.files.map(f => ({ name: f.name, content: new TextEncoder().encode(f.content) })), '', [], { queueRollups: false })
    results += receipt.counts.tests
  }
  // the day rollups of every demo run at once: a roll-up job after each of ~400 uploads kept the embedded database
  // busy enough that the dev server's health check waited for the whole load (13 → 37–46 s to healthy)
  await rollUpAllDue()
  // each upload queued diagnoses in the background; this waits for them and fills any gap
  await diagnoseStaleClusters()
  return { loaded: true, runs: dataset.uploads.length, results, ms: Date.now() - started }
}
