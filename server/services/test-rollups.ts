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

/**
 * The columns of a rollup row, counted from `test_results` rows (skips are not runs; durations of executed results,
 * sorted: a row's durations are always kept sorted ascending, see mergeDurations).
 */
const COUNTED = sql`count(*) filter (where status <> 'skipped'), count(*) filter (where status in ('failed', 'errored')),
  count(*) filter (where flaky),
  coalesce(array_agg(duration_ms order by duration_ms) filter (where status <> 'skipped' and duration_ms is not null), '{}')`

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
  const merged = isNewRun ? mergeDurations(testDayRollups.durations, sql`excluded.durations`) : sql`excluded.durations`
  const add = (column: AnyPgColumn) => isNewRun ? sql`${column} + excluded.${sql.identifier(column.name)}` : sql`excluded.${sql.identifier(column.name)}`
  await tx.execute(sql`
    insert into ${testDayRollups} (project_id, day, test_case_id, runs, failed, flaky, durations)
    select project_id, day, test_case_id, runs, failed, flaky, durations
    from (${counted}) as c (project_id, day, test_case_id, runs, failed, flaky, durations)
    on conflict (project_id, day, test_case_id) do update set runs = ${add(testDayRollups.runs)},
      failed = ${add(testDayRollups.failed)}, flaky = ${add(testDayRollups.flaky)}, durations = ${merged}`)
}

/**
 * Two sorted duration arrays as one sorted array, in SQL. A new run brings one duration per test (or none: skipped),
 * which goes in at its place found by binary search (`width_bucket` over the sorted array); only a test run several
 * times in one upload sorts. Sorting the whole day again per upload grew with the day's runs: for 10,000 tests, 52 ms
 * at 7 runs a day, 262 ms at 100 and 786 ms at 300.
 */
function mergeDurations(sorted: AnyPgColumn, added: SQL): SQL {
  const at = sql`width_bucket(${added}[1], ${sorted})`
  return sql`(case cardinality(${added}) when 0 then ${sorted}
    when 1 then (case cardinality(${sorted}) when 0 then ${added} else ${sorted}[:${at}] || ${added} || ${sorted}[${at} + 1:] end)
    else array(select v from unnest(${sorted} || ${added}) v order by v) end)`
}

/**
 * `percentile_disc(p)` of a sorted integer array, read by position (null for an empty one); `p` as exact numeric text.
 * Day rollups keep no p50/p95 of their own: writing them beside the merged durations took a subquery per row, the
 * upsert of 10,000 tests 118 → 67 ms without it, and the read already holds the durations.
 */
export function percentile(sorted: SQL, p: '0.5' | '0.95'): SQL {
  return sql`(${sorted})[ceil(${sql.raw(p)} * cardinality(${sorted}))::int]`
}
