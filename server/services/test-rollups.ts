import { type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { schema, type Tx } from '../db'

/**
 * The test explorer's per-test day rollups (server/db/schema/test-rollups.ts), kept in the upload's transaction.
 * A new run only adds results, so its rows are added to the day's counts and durations; a shard or re-upload under
 * an existing run may replace results it already held, so its tests' day is counted again from their stored results.
 */

const { testDayRollups, testResults, runs } = schema

/**
 * Results of infrastructure runs (most of the suite failed: runs.infra, set before the rollup) are left out of the
 * failure rate and flakiness, as services/flakiness.ts leaves them out.
 */
const runIsInfra = (runId: string) => sql`exists (select 1 from ${runs} where ${runs.id} = ${runId}::uuid and ${runs.infra})`
const notInInfraRuns = (projectId: string) =>
  sql`run_id not in (select ${runs.id} from ${runs} where ${runs.projectId} = ${projectId}::uuid and ${runs.infra})`

/** The columns of a rollup row, counted from `test_results` rows (skips are not runs; durations of executed results). */
const COUNTED = sql`count(*) filter (where status <> 'skipped'), count(*) filter (where status in ('failed', 'errored')),
  count(*) filter (where flaky), coalesce(array_agg(duration_ms) filter (where status <> 'skipped' and duration_ms is not null), '{}')`

/** Adds this upload's results (of `run`) to the per-test day rollups. */
export async function recordTestDays(tx: Tx, run: { id: string, projectId: string, startedAt: Date }, isNewRun: boolean): Promise<void> {
  const day = run.startedAt.toISOString().slice(0, 10)
  const runId = run.id
  const counted = isNewRun
    ? sql`select project_id, ${day}::date as day, test_case_id, ${COUNTED} from ${testResults}
      where run_id = ${runId}::uuid and not ${runIsInfra(runId)} group by 1, 3`
    : sql`select project_id, ${day}::date as day, test_case_id, ${COUNTED} from ${testResults}
      where test_case_id in (select test_case_id from ${testResults} where run_id = ${runId}::uuid) and ${notInInfraRuns(run.projectId)}
        and run_started_at >= ${day}::date at time zone 'UTC' and run_started_at < (${day}::date + 1) at time zone 'UTC'
      group by 1, 3`
  // a new run adds to the day; a re-upload counted the day's stored results again, so it replaces the row
  const merged = isNewRun ? sql`${testDayRollups.durations} || excluded.durations` : sql`excluded.durations`
  const add = (column: AnyPgColumn) => isNewRun ? sql`${column} + excluded.${sql.identifier(column.name)}` : sql`excluded.${sql.identifier(column.name)}`
  await tx.execute(sql`
    insert into ${testDayRollups} (project_id, day, test_case_id, runs, failed, flaky, durations, p50_ms, p95_ms)
    select project_id, day, test_case_id, runs, failed, flaky, durations, ${percentile(sql`durations`, 0.5)}, ${percentile(sql`durations`, 0.95)}
    from (${counted}) as c (project_id, day, test_case_id, runs, failed, flaky, durations)
    on conflict (project_id, day, test_case_id) do update set runs = ${add(testDayRollups.runs)},
      failed = ${add(testDayRollups.failed)}, flaky = ${add(testDayRollups.flaky)}, durations = ${merged},
      p50_ms = ${percentile(merged, 0.5)}, p95_ms = ${percentile(merged, 0.95)}`)
}

/**
 * `percentile_disc(p)` of an integer array, as SQL. Most rows hold one duration (one run of the test that day), which
 * needs no sort: the ordered-set aggregate per row was half the time of a 10k-result upload (1.6 of 3.3 s).
 */
function percentile(values: SQL, p: number): SQL {
  return sql`(case cardinality(${values}) when 0 then null when 1 then (${values})[1]
    else (select percentile_disc(${sql.raw(String(p))}) within group (order by v) from unnest(${values}) v) end)`
}
