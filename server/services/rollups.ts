import { eq, sql } from 'drizzle-orm'
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
 * row now holds its counts after it. A retried upload adds nothing and writes nothing. A new run takes the project's
 * next number here, under the lock of the project's rollup row that its run count takes anyway (held to the commit):
 * numbers follow one another without gaps or repeats, and new runs of a project wait for each other only at the end
 * of their uploads, as they did before numbers. An upload that `stored` results had its turn to write the project's
 * labels, which it counts (label_turns: services/run-results.ts reads it). Returns the run's number.
 */
export async function recordRunInRollups(tx: Tx, before: RunRow, isNewRun: boolean, stored: boolean): Promise<number> {
  const [after] = await tx.select({ total: runs.total, passed: runs.passed, skipped: runs.skipped, durationMs: runs.durationMs })
    .from(runs).where(eq(runs.id, before.id))
  if (!after) throw new Error('run row vanished inside its transaction')
  const passed = after.passed - before.passed
  const executed = (after.total - after.skipped) - (before.total - before.skipped)
  const durationMs = (after.durationMs ?? 0) - (before.durationMs ?? 0)
  const timedRuns = (after.durationMs == null ? 0 : 1) - (before.durationMs == null ? 0 : 1)
  let number = before.number
  if (isNewRun) {
    const newer = sql`(${projectRollups.latestRunId} is null
      or (excluded.latest_started_at, excluded.latest_run_id) > (${projectRollups.latestStartedAt}, ${projectRollups.latestRunId}))`
    const [counter] = await tx.insert(projectRollups)
      .values({ projectId: before.projectId, runCount: 1, latestRunId: before.id, latestStartedAt: before.startedAt, lastRunNumber: 1,
        labelTurns: 1 })
      .onConflictDoUpdate({
        target: projectRollups.projectId,
        set: {
          runCount: sql`${projectRollups.runCount} + 1`,
          lastRunNumber: sql`${projectRollups.lastRunNumber} + 1`,
          labelTurns: sql`${projectRollups.labelTurns} + 1`,
          latestRunId: sql`case when ${newer} then excluded.latest_run_id else ${projectRollups.latestRunId} end`,
          latestStartedAt: sql`case when ${newer} then excluded.latest_started_at else ${projectRollups.latestStartedAt} end`,
        },
      }).returning({ n: projectRollups.lastRunNumber })
    number = counter!.n
    await tx.update(runs).set({ number }).where(eq(runs.id, before.id))
  }
  else if (stored) {
    await tx.update(projectRollups).set({ labelTurns: sql`${projectRollups.labelTurns} + 1` }).where(eq(projectRollups.projectId, before.projectId))
  }
  if (!isNewRun && !passed && !executed && !durationMs && !timedRuns) return number!
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
  return number!
}
