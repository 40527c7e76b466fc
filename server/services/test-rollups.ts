import { type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { schema, useDb, type Tx } from '../db'
import { rowsOf, plainArray } from '../db/sql'
import { enqueueJob, registerJob } from './jobs'

/**
 * The test explorer's per-test day rollups (server/db/schema/test-rollups.ts), kept after the uploads' commits: an
 * upload that stores results writes what the rollups owe its run (test_days_due) and queues a roll of its project,
 * which the upload does not wait for. A new run only adds results, so its rows are added to the day's counts and
 * durations (runs that came due together in one statement); a shard of a run that existed may replace results, so
 * its tests' day is counted again from their stored results. The explorer rolls up what is still due before it
 * reads, so it never shows a stale day.
 */

const { testDayRollups, testDaysDue, testResults, runs } = schema

const TEST_DAYS_JOB = 'test-days'
/** Due rows consumed per transaction: a backlog (a burst of uploads, a restart) drains in bounded steps. */
const DUE_PER_ROLL = 20

/**
 * The columns of a rollup row, counted from `test_results` rows (skips are not runs; durations of executed results,
 * sorted: a row's durations are always kept sorted ascending, see mergeDurations).
 */
const COUNTED = sql`count(*) filter (where status <> 'skipped'), count(*) filter (where status in ('failed', 'errored')),
  count(*) filter (where flaky),
  coalesce(array_agg(duration_ms order by duration_ms) filter (where status <> 'skipped' and duration_ms is not null), '{}')`

/** The upsert of counted rows: added to the day (`add`), or replacing it (`replace`: the day counted again). */
function upsertDays(counted: SQL, mode: 'add' | 'replace'): SQL {
  const merged = mode === 'add' ? mergeDurations(testDayRollups.durations, sql`excluded.durations`) : sql`excluded.durations`
  const set = (column: AnyPgColumn) => mode === 'add'
    ? sql`${column} + excluded.${sql.identifier(column.name)}`
    : sql`excluded.${sql.identifier(column.name)}`
  return sql`
    insert into ${testDayRollups} (project_id, day, test_case_id, runs, failed, flaky, durations)
    select project_id, day, test_case_id, runs, failed, flaky, durations
    from (${counted}) as c (project_id, day, test_case_id, runs, failed, flaky, durations)
    on conflict (project_id, day, test_case_id) do update set runs = ${set(testDayRollups.runs)},
      failed = ${set(testDayRollups.failed)}, flaky = ${set(testDayRollups.flaky)}, durations = ${merged}`
}

type DaysDue = { add: true } | { recount: string[] | null }

/**
 * In the upload's transaction: what the day rollups owe its run. `add` for a new run; else `recount` the tests the
 * shard stored, or every test of the run (null) when the shard changed how all its results count.
 */
export async function markDaysDue(tx: Tx, projectId: string, runId: string, due: DaysDue): Promise<void> {
  if ('add' in due) await tx.insert(testDaysDue).values({ projectId, runId, mode: 'add' })
  else await tx.insert(testDaysDue).values({ projectId, runId, mode: 'recount', testCaseIds: due.recount })
}

interface DueRow {
  run_id: string
  mode: 'add' | 'recount'
  test_case_ids: string[] | null
  started_at: string | Date | null
}

/** The recounts due, one per run: the tests its shards stored, or every test of the run (null) if one shard said so. */
function recounts(due: DueRow[]): { runId: string, startedAt: Date, testCaseIds: string[] | null }[] {
  const byRun = new Map<string, { runId: string, startedAt: Date, testCaseIds: Set<string> | null }>()
  for (const d of due) {
    if (d.mode !== 'recount') continue
    const run = byRun.get(d.run_id) ?? { runId: d.run_id, startedAt: new Date(d.started_at!), testCaseIds: new Set<string>() }
    byRun.set(d.run_id, run)
    if (!d.test_case_ids) run.testCaseIds = null
    else if (run.testCaseIds) for (const id of d.test_case_ids) run.testCaseIds.add(id)
  }
  return [...byRun.values()].map(r => ({ ...r, testCaseIds: r.testCaseIds && [...r.testCaseIds] }))
}

/**
 * Rolls up, in `tx`, what is due for the project: every due row committed when it starts, at most DUE_PER_ROLL; returns
 * how many it consumed. One roll of a project at a time (an advisory lock); a row is consumed once, by the roll that
 * deletes it, and no run is locked. Added runs go first: a recount counts the day's stored results, theirs included,
 * and leaves out only runs still due to be added (their add will count them) and infrastructure runs and results
 * (an outage of the run, or of the upload that stored the result: test_results.infra), as services/flakiness.ts
 * does. A recount replaces its tests' rows of the day, a test with nothing left to count too.
 */
async function rollDueDays(tx: Tx, projectId: string): Promise<number> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`test_days ${projectId}`}, 0))`)
  const due = rowsOf<DueRow>(await tx.execute(sql`
    with taken as (
      delete from ${testDaysDue}
      where project_id = ${projectId}::uuid
        and id in (select id from ${testDaysDue} where project_id = ${projectId}::uuid limit ${DUE_PER_ROLL})
      returning run_id, mode, test_case_ids
    )
    select taken.run_id, taken.mode, taken.test_case_ids, r.started_at from taken left join ${runs} r on r.id = taken.run_id`))
  // a run deleted since (retention rolls up first; a project deleted takes its rows along) leaves nothing to count
  const live = due.filter(d => d.started_at !== null)
  const added = [...new Map(live.filter(d => d.mode === 'add').map(d => [d.run_id, d])).values()]
  if (added.length) {
    const ids = sql`${plainArray(added.map(r => r.run_id))}::uuid[]`
    const starts = sql`${plainArray(added.map(r => new Date(r.started_at!).toISOString()))}::timestamptz[]`
    await tx.execute(upsertDays(sql`
      select project_id, (run_started_at at time zone 'UTC')::date, test_case_id, ${COUNTED} from ${testResults}
      where run_id = any(${ids}) and run_started_at = any(${starts}) and not infra
        and run_id not in (select id from ${runs} where id = any(${ids}) and infra)
      group by 1, 2, 3`, 'add'))
  }
  for (const run of recounts(live)) {
    const day = run.startedAt.toISOString().slice(0, 10)
    // the shards' tests, as an array the planner sizes (a subquery of a 100,000-result run's tests was planned as
    // one row without statistics: minutes of nested loops); every test of the run when a shard said so
    const tests = run.testCaseIds
      ? sql`test_case_id = any(${plainArray(run.testCaseIds)}::uuid[])`
      : sql`test_case_id in (select test_case_id from ${testResults}
          where run_id = ${run.runId}::uuid and run_started_at = ${run.startedAt.toISOString()}::timestamptz)`
    await tx.execute(sql`delete from ${testDayRollups}
      where project_id = ${projectId}::uuid and day = ${day}::date and ${tests}`)
    await tx.execute(upsertDays(sql`
      select project_id, ${day}::date, test_case_id, ${COUNTED} from ${testResults}
      where ${tests} and not infra
        and run_id not in (select id from ${runs} where project_id = ${projectId}::uuid and infra)
        and run_id not in (select run_id from ${testDaysDue} where project_id = ${projectId}::uuid and mode = 'add')
        and run_started_at >= ${day}::date at time zone 'UTC' and run_started_at < (${day}::date + 1) at time zone 'UTC'
      group by 1, 3`, 'replace'))
  }
  return due.length
}

/** Everything the day rollups owe the project, counted in `tx` (retention, before it deletes the project's runs). */
export async function rollAllDueIn(tx: Tx, projectId: string): Promise<void> {
  let consumed: number
  do consumed = await rollDueDays(tx, projectId)
  while (consumed > 0)
}

/** The projects the day rollups owe something for a run that started in [from, to) (a month retention drops). */
export async function projectsOwingDaysBetween(tx: Tx, from: Date, to: Date): Promise<string[]> {
  return rowsOf<{ project_id: string }>(await tx.execute(sql`select distinct d.project_id from ${testDaysDue} d
    join ${runs} r on r.id = d.run_id where r.started_at >= ${from.toISOString()}::timestamptz and r.started_at < ${to.toISOString()}::timestamptz`))
    .map(r => r.project_id)
}

/** Rolls up everything due for the project, a bounded transaction at a time; returns the due rows consumed. */
export async function rollUpTestDays(projectId: string): Promise<number> {
  const db = await useDb()
  const [due] = rowsOf<{ any: boolean }>(await db.execute(sql`
    select exists (select 1 from ${testDaysDue} where project_id = ${projectId}::uuid) as any`))
  if (!due?.any) return 0
  let rolled = 0
  for (;;) {
    const n = await db.transaction(tx => rollDueDays(tx, projectId))
    rolled += n
    if (n < DUE_PER_ROLL) return rolled
  }
}

/** The projects the day rollups owe something. */
async function dueProjects(): Promise<string[]> {
  const db = await useDb()
  return rowsOf<{ project_id: string }>(await db.execute(sql`select distinct project_id from ${testDaysDue}`)).map(r => r.project_id)
}

/** Rolls up everything due for every project, now (after a batch of uploads that queued no roll). */
export async function rollUpAllDue(): Promise<void> {
  for (const projectId of await dueProjects()) await rollUpTestDays(projectId)
}

/** After an upload's commit: a roll of its project, unless one already waits to run (it will see this run). */
export function queueTestDays(projectId: string): void {
  enqueueJob(TEST_DAYS_JOB, { projectId }, { singletonKey: projectId })
    .catch((err: Error) => console.error(`[proofdeck] the day rollups were not queued (the next upload or explorer read rolls them up): ${err.message}`))
}

/** Registers the roll-up job (the jobs plugin does, at start-up). */
export function registerTestDaysJob(): void {
  registerJob<{ projectId: string }>({
    name: TEST_DAYS_JOB, policy: 'short', retryLimit: 5, retryDelay: 5, expireInSeconds: 900, concurrency: 1,
    handler: async ({ projectId }) => {
      await rollUpTestDays(projectId)
    },
  })
}

/** At start-up: a roll of every project with runs still due (a crash between an upload's commit and its roll). */
export async function requeueDueTestDays(): Promise<number> {
  const due = await dueProjects()
  for (const projectId of due) queueTestDays(projectId)
  return due.length
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
