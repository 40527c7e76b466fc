import { and, asc, desc, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm'
import { useDb, schema } from '../db'
import type { RetentionOutcome } from '#shared/types/projects'
import { useConfig } from '../utils/config'
import { enqueueBlobSweep } from './blobs'
import { registerJob, enqueueJob } from './jobs'
import { authorize } from './policy'
import { systemScope, type Scope } from './scope'

/**
 * Deleting runs: by retention (runs older than the project's days, else PROOFDECK_RETENTION_DAYS) once a day on the
 * job queue, and every run of a project being deleted. Runs go in batches, one transaction each: the results first
 * (test_results has no foreign keys), then the runs, whose uploads and attempts follow by cascade. The day rollups
 * stay, so the trends keep the days whose runs are gone; the project's run count and latest run are kept right.
 * Test cases and failure clusters stay with their triage, quarantine and counts (the product keeps them). Attachment
 * rows go with their runs and the blob sweep is queued for their files.
 */

const { runs, testResults, projects, projectRollups } = schema

/** Runs deleted per transaction: short locks, and a run's results (thousands of rows) at a time. */
const BATCH = 100
const DAY_MS = 86_400_000
const RETENTION_JOB = 'retention'

/** Deletes the project's runs that started before `before` (every run when null), oldest first; returns how many. */
export async function deleteRuns(projectId: string, before: Date | null): Promise<number> {
  const db = await useDb()
  let deleted = 0
  for (;;) {
    const n = await db.transaction(async (tx) => {
      // a run an upload holds (a shard arriving) is left for the next pass
      const ids = (await tx.select({ id: runs.id }).from(runs)
        .where(and(eq(runs.projectId, projectId), before ? lt(runs.startedAt, before) : undefined))
        .orderBy(asc(runs.startedAt), asc(runs.id)).limit(BATCH).for('update', { skipLocked: true })).map(r => r.id)
      if (!ids.length) return 0
      await tx.delete(testResults).where(inArray(testResults.runId, ids))
      await tx.delete(runs).where(inArray(runs.id, ids))
      const [latest] = await tx.select({ id: runs.id, startedAt: runs.startedAt }).from(runs).where(eq(runs.projectId, projectId))
        .orderBy(desc(runs.startedAt), desc(runs.id)).limit(1)
      // the latest run was set null by its foreign key if it went; the run number counter is never lowered
      await tx.update(projectRollups).set({
        runCount: sql`greatest(${projectRollups.runCount} - ${ids.length}, 0)`,
        latestRunId: sql`coalesce(${projectRollups.latestRunId}, ${latest?.id ?? null}::uuid)`,
        latestStartedAt: sql`case when ${projectRollups.latestRunId} is null then ${latest?.startedAt.toISOString() ?? null}::timestamptz
          else ${projectRollups.latestStartedAt} end`,
      }).where(eq(projectRollups.projectId, projectId))
      return ids.length
    })
    deleted += n
    if (n < BATCH) break
  }
  // the attachment rows went with their runs; the sweep deletes the files no row references any more
  if (deleted) await enqueueBlobSweep()
  return deleted
}

/** Applies retention now to every project that has one (its own days, else the server default). Admins only. */
export async function pruneExpiredRuns(scope: Scope, now = Date.now()): Promise<RetentionOutcome> {
  authorize(scope, 'run_retention')
  const db = await useDb()
  const fallback = useConfig().retentionDays
  const kept = await db.select({ id: projects.id, slug: projects.slug, days: projects.retentionDays }).from(projects)
    .where(fallback === null ? isNotNull(projects.retentionDays) : undefined).orderBy(asc(projects.slug))
  const outcome: RetentionOutcome = { projects: [], runsDeleted: 0 }
  for (const p of kept) {
    const days = p.days ?? fallback!
    const deleted = await deleteRuns(p.id, new Date(now - days * DAY_MS))
    outcome.projects.push({ slug: p.slug, retentionDays: days, runsDeleted: deleted })
    outcome.runsDeleted += deleted
  }
  return outcome
}

/** Registers the daily retention job (the jobs plugin does, at start-up). */
export function registerRetentionJob(): void {
  registerJob({
    name: RETENTION_JOB, policy: 'short', retryLimit: 1, retryDelay: 600, expireInSeconds: 3600, concurrency: 1,
    handler: async () => {
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
