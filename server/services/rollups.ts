import { and, eq, sql } from 'drizzle-orm'
import { schema, type Tx } from '../db'

/**
 * The projects overview's counts kept at ingest, so listing projects costs the same at a thousand runs as at a
 * million: per project its run count and latest run, per project, UTC day and branch its runs and the tests they
 * passed and executed. Written in the upload's transaction as deltas against the run as it was before the upload;
 * the migration that made the tables filled them from the runs already stored.
 */

const { runs, projectRollups, projectDayRollups } = schema

type RunRow = typeof runs.$inferSelect

/** A run's UTC day, as the overview's pass-rate window counts days. */
const utcDay = (at: Date) => at.toISOString().slice(0, 10)

/**
 * Adds an upload to the rollups: `before` is the run as locked before the upload (all zero when `isNewRun`), the run
 * row now holds its counts after it. A retried upload adds nothing and writes nothing.
 */
export async function recordRunInRollups(tx: Tx, before: RunRow, isNewRun: boolean): Promise<void> {
  const [after] = await tx.select({ total: runs.total, passed: runs.passed, skipped: runs.skipped, durationMs: runs.durationMs })
    .from(runs).where(eq(runs.id, before.id))
  if (!after) return
  const passed = after.passed - before.passed
  const executed = (after.total - after.skipped) - (before.total - before.skipped)
  const durationMs = (after.durationMs ?? 0) - (before.durationMs ?? 0)
  const timedRuns = (after.durationMs == null ? 0 : 1) - (before.durationMs == null ? 0 : 1)
  if (isNewRun) {
    const newer = sql`(${projectRollups.latestRunId} is null
      or (excluded.latest_started_at, excluded.latest_run_id) > (${projectRollups.latestStartedAt}, ${projectRollups.latestRunId}))`
    await tx.insert(projectRollups)
      .values({ projectId: before.projectId, runCount: 1, latestRunId: before.id, latestStartedAt: before.startedAt })
      .onConflictDoUpdate({
        target: projectRollups.projectId,
        set: {
          runCount: sql`${projectRollups.runCount} + 1`,
          latestRunId: sql`case when ${newer} then excluded.latest_run_id else ${projectRollups.latestRunId} end`,
          latestStartedAt: sql`case when ${newer} then excluded.latest_started_at else ${projectRollups.latestStartedAt} end`,
        },
      })
  }
  if (!isNewRun && !passed && !executed && !durationMs && !timedRuns) return
  await tx.insert(projectDayRollups)
    .values({
      projectId: before.projectId, day: utcDay(before.startedAt), branch: before.branch ?? '', runs: isNewRun ? 1 : 0, passed, executed,
      durationMs, timedRuns,
    })
    .onConflictDoUpdate({
      target: [projectDayRollups.projectId, projectDayRollups.day, projectDayRollups.branch],
      set: {
        runs: sql`${projectDayRollups.runs} + excluded.runs`,
        passed: sql`${projectDayRollups.passed} + excluded.passed`,
        executed: sql`${projectDayRollups.executed} + excluded.executed`,
        durationMs: sql`${projectDayRollups.durationMs} + excluded.duration_ms`,
        timedRuns: sql`${projectDayRollups.timedRuns} + excluded.timed_runs`,
      },
    })
}

/**
 * The project's next run number: the counter row is created or incremented and stays locked until the upload's
 * transaction ends, so concurrent new runs of one project number one after the other.
 */
export async function takeRunNumber(tx: Tx, projectId: string): Promise<number> {
  const [row] = await tx.insert(projectRollups).values({ projectId, lastRunNumber: 1 })
    .onConflictDoUpdate({ target: projectRollups.projectId, set: { lastRunNumber: sql`${projectRollups.lastRunNumber} + 1` } })
    .returning({ n: projectRollups.lastRunNumber })
  return row!.n
}

/** Gives back the number just taken (the run existed after all); safe because the counter is still locked by this transaction. */
export async function giveBackRunNumber(tx: Tx, projectId: string, number: number): Promise<void> {
  await tx.update(projectRollups).set({ lastRunNumber: number - 1 })
    .where(and(eq(projectRollups.projectId, projectId), eq(projectRollups.lastRunNumber, number)))
}
