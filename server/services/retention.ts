import { and, asc, desc, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm'
import { useDb, schema, type Tx } from '../db'
import type { RetentionOutcome } from '#shared/types/projects'
import { useConfig } from '../utils/config'
import { enqueueBlobSweep } from './blobs'
import { registerJob, enqueueJob } from './jobs'
import { dropMonthPartition, ensureComingPartitions, listMonthPartitions } from './partitions'
import { authorize } from './policy'
import { pruneResultProperties } from './result-properties'
import { systemScope, type Scope } from './scope'
import { projectsOwingDaysBetween, rollAllDueIn } from './test-rollups'
import { upkeepEmbedded } from './upkeep'
import { deleteSettledDeliveries } from './webhook-delivery'

/**
 * Deleting runs: by retention (runs older than the project's days, else PROOFDECK_RETENTION_DAYS) once a day on the
 * job queue, and every run of a project being deleted. A month of results (a partition of test_results, see
 * partitions.ts) that every project's retention is past is dropped whole, with its attempts and runs, in one
 * transaction. The rest goes in batches of runs, one transaction each: the results and their attempts first (neither
 * table has foreign keys), then the runs, whose uploads and attachment rows follow by cascade. The day rollups
 * stay, so the trends keep the days whose runs are gone; the project's run count and latest run are kept right.
 * Test cases and failure clusters stay with their triage, quarantine and counts (the product keeps them). Attachment
 * rows go with their runs and the blob sweep is queued for their files. Settled webhook deliveries older than the
 * project's retention go too, and the results' properties objects no remaining run points at.
 */

const { runs, testResults, testAttempts, projects, projectRollups } = schema

/** Runs deleted per transaction: short locks, and a run's results (thousands of rows) at a time. */
const BATCH = 100
const DAY_MS = 86_400_000
const RETENTION_JOB = 'retention'

/**
 * Where a retention of `days` cuts: the start of the UTC day `days` days ago, so runs go by whole days, never part of
 * one. A day's rollups outlive its runs, and a shard arriving for one of the day's runs recounts the day from its
 * stored results (services/test-rollups.ts): with part of the day deleted, that recount lost the deleted runs.
 */
function retentionCutoff(now: number, days: number): Date {
  const at = now - days * DAY_MS
  return new Date(at - at % DAY_MS)
}

/** Deletes the project's runs that started before `before` (every run when null), oldest first; returns how many. */
export async function deleteRuns(projectId: string, before: Date | null): Promise<number> {
  const db = await useDb()
  let deleted = 0
  for (;;) {
    const n = await db.transaction(async (tx) => {
      // a run an upload holds (a shard arriving) is left for the next pass
      const batch = await tx.select({ id: runs.id, startedAt: runs.startedAt }).from(runs)
        .where(and(eq(runs.projectId, projectId), before ? lt(runs.startedAt, before) : undefined))
        .orderBy(asc(runs.startedAt), asc(runs.id)).limit(BATCH).for('update', { skipLocked: true })
      if (!batch.length) return 0
      // what the day rollups still owe these runs is counted before they go (the rollups outlive them)
      await rollAllDueIn(tx, projectId)
      const ids = batch.map(r => r.id)
      // the batch's start times bound run_started_at, so only the partitions of those months are searched
      const ofBatch = and(inArray(testResults.runId, ids),
        gte(testResults.runStartedAt, batch[0]!.startedAt), lte(testResults.runStartedAt, batch[batch.length - 1]!.startedAt))
      await tx.delete(testAttempts)
        .where(inArray(testAttempts.resultId, tx.select({ id: testResults.id }).from(testResults).where(ofBatch)))
      await tx.delete(testResults).where(ofBatch)
      await tx.delete(runs).where(inArray(runs.id, ids))
      await keepProjectRollup(tx, projectId, ids.length)
      return ids.length
    })
    deleted += n
    if (n < BATCH) break
  }
  // the attachment rows went with their runs; the sweep deletes the files no row references any more
  if (deleted) await enqueueBlobSweep()
  return deleted
}

/** The project's run count and latest run after `removed` of its runs were deleted. */
async function keepProjectRollup(tx: Tx, projectId: string, removed: number): Promise<void> {
  const [latest] = await tx.select({ id: runs.id, startedAt: runs.startedAt }).from(runs).where(eq(runs.projectId, projectId))
    .orderBy(desc(runs.startedAt), desc(runs.id)).limit(1)
  // the latest run was set null by its foreign key if it went; the run number counter is never lowered
  await tx.update(projectRollups).set({
    runCount: sql`greatest(${projectRollups.runCount} - ${removed}, 0)`,
    latestRunId: sql`coalesce(${projectRollups.latestRunId}, ${latest?.id ?? null}::uuid)`,
    latestStartedAt: sql`case when ${projectRollups.latestRunId} is null then ${latest?.startedAt.toISOString() ?? null}::timestamptz
      else ${projectRollups.latestStartedAt} end`,
  }).where(eq(projectRollups.projectId, projectId))
}

/**
 * Drops the month partitions that end before `cutoff` (the earliest of every project's retention cutoffs), oldest
 * first, each in one transaction with its attempts and its runs (a run's results are all in the month it started in).
 * Returns the months dropped and the runs deleted per project. A month whose locks are not granted in time is left
 * to the row-deleting path.
 */
async function dropExpiredMonths(cutoff: Date): Promise<{ months: string[], runsByProject: Map<string, number> }> {
  const db = await useDb()
  const out = { months: [] as string[], runsByProject: new Map<string, number>() }
  for (const month of (await listMonthPartitions()).filter(p => p.to <= cutoff)) {
    try {
      const gone = await db.transaction(async (tx) => {
        for (const projectId of await projectsOwingDaysBetween(tx, month.from, month.to)) await rollAllDueIn(tx, projectId)
        const deleted = await tx.delete(runs).where(and(gte(runs.startedAt, month.from), lt(runs.startedAt, month.to)))
          .returning({ projectId: runs.projectId })
        const counts = new Map<string, number>()
        for (const r of deleted) counts.set(r.projectId, (counts.get(r.projectId) ?? 0) + 1)
        for (const [projectId, n] of counts) await keepProjectRollup(tx, projectId, n)
        // last: the drop's lock on test_results is held only until the commit that follows
        await dropMonthPartition(tx, month.key)
        return counts
      })
      out.months.push(month.key.replace('m', '-'))
      for (const [projectId, n] of gone) out.runsByProject.set(projectId, (out.runsByProject.get(projectId) ?? 0) + n)
    }
    catch (err) {
      console.warn(`[proofdeck] retention left the results of ${month.key} to row deletion: ${(err as Error).message}`)
    }
  }
  if (out.months.length) await enqueueBlobSweep()
  return out
}

/**
 * Applies retention now to every project that has one (its own days, else the server default): whole months first
 * when every project's retention is past them, then the remaining runs row by row. Admins only.
 */
export async function pruneExpiredRuns(scope: Scope, now = Date.now()): Promise<RetentionOutcome> {
  authorize(scope, 'run_retention')
  const db = await useDb()
  const fallback = useConfig().retentionDays
  const all = await db.select({ id: projects.id, slug: projects.slug, days: projects.retentionDays }).from(projects)
    .orderBy(asc(projects.slug))
  const kept = all.filter(p => (p.days ?? fallback) !== null)
  // a month can go only when no project keeps it: every project has a retention and the month ends before its cutoff
  const cutoff = kept.length && kept.length === all.length
    ? Math.min(...kept.map(p => retentionCutoff(now, p.days ?? fallback!).getTime()))
    : null
  const dropped = cutoff === null ? { months: [], runsByProject: new Map<string, number>() } : await dropExpiredMonths(new Date(cutoff))
  const outcome: RetentionOutcome = {
    projects: [], runsDeleted: 0, monthsDropped: dropped.months, webhookDeliveriesDeleted: 0, resultPropertiesDeleted: 0,
  }
  for (const p of kept) {
    const days = p.days ?? fallback!
    const before = retentionCutoff(now, days)
    const deleted = (dropped.runsByProject.get(p.id) ?? 0) + await deleteRuns(p.id, before)
    const deliveries = await deleteSettledDeliveries(p.id, before)
    const properties = deleted ? await pruneResultProperties(p.id) : 0
    outcome.projects.push({
      slug: p.slug, retentionDays: days, runsDeleted: deleted, webhookDeliveriesDeleted: deliveries, resultPropertiesDeleted: properties,
    })
    outcome.runsDeleted += deleted
    outcome.webhookDeliveriesDeleted += deliveries
    outcome.resultPropertiesDeleted += properties
  }
  // on the embedded database, the deleted rows' space made reusable and the statistics counted again (autovacuum's
  // work on Postgres); the deletes are committed whatever it does
  if (outcome.runsDeleted || outcome.webhookDeliveriesDeleted) {
    await upkeepEmbedded({ all: true })
      .catch((err: Error) => console.error(`[proofdeck] the embedded database's upkeep after retention failed: ${err.message}`))
  }
  return outcome
}

/** Registers the daily retention job (the jobs plugin does, at start-up). */
export function registerRetentionJob(): void {
  registerJob({
    name: RETENTION_JOB, policy: 'short', retryLimit: 1, retryDelay: 600, expireInSeconds: 3600, concurrency: 1,
    handler: async () => {
      // the daily partition maintenance: this month's and the next month's results partitions exist before any run
      await ensureComingPartitions()
      const { runsDeleted } = await pruneExpiredRuns(systemScope())
      if (runsDeleted) console.info(`[proofdeck] retention deleted ${runsDeleted} runs`)
    },
  })
}

/** Queues the retention job now and then once a day (at most one waits at a time, across instances). */
export function scheduleRetention(): void {
  const queue = () => enqueueJob(RETENTION_JOB, {}, { singletonKey: RETENTION_JOB })
    .catch((err: Error) => console.error(`[proofdeck] the retention job was not queued: ${err.message}`))
  void queue()
  const timer = setInterval(queue, DAY_MS)
  // the timer never keeps the process alive at shutdown
  timer.unref()
}
