import { sql } from 'drizzle-orm'
import { schema, type Tx } from '../db'

/**
 * The test explorer's per-test day rollups (server/db/schema/test-rollups.ts), kept in the upload's transaction.
 * A new run only adds results, so its rows are added to the day's counts and durations; a shard or re-upload under
 * an existing run may replace results it already held, so its tests' day is counted again from their stored results.
 */

const { testDayRollups, testResults } = schema

/** The columns of a rollup row, counted from `test_results` rows (skips are not runs; durations of executed results). */
const COUNTED = sql`count(*) filter (where status <> 'skipped'), count(*) filter (where status in ('failed', 'errored')),
  count(*) filter (where flaky), coalesce(array_agg(duration_ms) filter (where status <> 'skipped' and duration_ms is not null), '{}')`

/** Adds this upload's results (of `run`) to the per-test day rollups. */
export async function recordTestDays(tx: Tx, run: { id: string, projectId: string, startedAt: Date }, isNewRun: boolean): Promise<void> {
  const day = run.startedAt.toISOString().slice(0, 10)
  const runId = run.id
  if (isNewRun) {
    await tx.execute(sql`
      insert into ${testDayRollups} (project_id, day, test_case_id, runs, failed, flaky, durations)
      select project_id, ${day}::date, test_case_id, ${COUNTED} from ${testResults} where run_id = ${runId}::uuid group by 1, 3
      on conflict (project_id, day, test_case_id) do update set runs = ${testDayRollups.runs} + excluded.runs,
        failed = ${testDayRollups.failed} + excluded.failed, flaky = ${testDayRollups.flaky} + excluded.flaky,
        durations = ${testDayRollups.durations} || excluded.durations`)
  }
  else {
    await tx.execute(sql`
    insert into ${testDayRollups} (project_id, day, test_case_id, runs, failed, flaky, durations)
    select project_id, ${day}::date, test_case_id, ${COUNTED} from ${testResults}
    where test_case_id in (select test_case_id from ${testResults} where run_id = ${runId}::uuid)
      and run_started_at >= ${day}::date at time zone 'UTC' and run_started_at < (${day}::date + 1) at time zone 'UTC'
    group by 1, 3
    on conflict (project_id, day, test_case_id) do update set runs = excluded.runs, failed = excluded.failed, flaky = excluded.flaky,
      durations = excluded.durations`)
  }
  // the day's p50/p95 again, from its whole durations (a few per test and day: one per run of it that day)
  await tx.execute(sql`
    update ${testDayRollups} r set (p50_ms, p95_ms) = (
      select percentile_disc(0.5) within group (order by v), percentile_disc(0.95) within group (order by v) from unnest(r.durations) v)
    where r.project_id = ${run.projectId}::uuid and r.day = ${day}::date
      and r.test_case_id in (select test_case_id from ${testResults} where run_id = ${runId}::uuid)`)
}
