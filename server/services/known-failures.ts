import { sql, type SQL } from 'drizzle-orm'
import { schema, type Tx } from '../db'
import { plainArray, rowsOf } from '../db/sql'
import { FAILING, type MergedResult } from '../ingest/merge'

/*
 * Whether a failure is new or known: was its test already failing on the project's default branch before its run.
 */

const { projects, runs, testCases, testResults } = schema

/** The facts of a run a failure is judged against, as SQL: its start, creation, and its project's id and default branch. */
interface JudgedRun { startedAt: SQL, createdAt: SQL, projectId: SQL, defaultBranch: SQL }

/**
 * Whether the test `testCaseId` failing in `run` was already failing on the project's default branch before it
 * ("known"; else "new"): one rule for the receipt, the CLI's summary and comment, the run page and get_run, which
 * read it as stored (test_results.known_failure). The test's last result on the default branch in a run started
 * before this one failed, or it was labelled flaky there before this run came. So on a feature branch "new" is what
 * the branch broke, push after push; and per test, not per previous run: a shard that did not run in the previous
 * run (a nightly job) still has its own last result.
 */
const alreadyFailing = (testCaseId: SQL, run: JudgedRun) => sql<boolean>`(
  -- the test's results newest first down its index, each run's branch looked up by key, until one on the default
  -- branch (a join to runs, or an OR in the time condition, made the planner read every older result of the test)
  coalesce((select p.status in ('failed', 'errored') from ${testResults} p
    where p.test_case_id = ${testCaseId} and p.run_started_at < ${run.startedAt}
      and (select pr.branch from ${runs} pr where pr.id = p.run_id) = ${run.defaultBranch}
    order by p.run_started_at desc, p.id desc limit 1), false)
  or ${testCaseId} in (select lt.id from ${testCases} lt where lt.project_id = ${run.projectId} and lt.flaky_label = 'flaky'
    and lt.flaky_branch = ${run.defaultBranch} and lt.flaky_since < ${run.createdAt}))`

/**
 * The test cases of the slice's failures that were already failing (alreadyFailing), judged once, as the upload stores
 * them. The run's facts are uncorrelated subqueries, read once per statement, and the project's flaky tests one hashed
 * set. Each slice of a large upload is judged by a statement of its own: a default-branch upload that commits between
 * two of them counts for the later slices only.
 */
export async function alreadyFailingOf(tx: Tx, runId: string, merged: MergedResult[], caseIds: Map<string, string>): Promise<Set<string>> {
  const failing = merged.filter(m => FAILING.has(m.result.status)).map(m => caseIds.get(m.identityHash)!)
  if (!failing.length) return new Set()
  const of = (column: string) => sql`(select ${sql.raw(column)} from ${runs} r0 join ${projects} pj on pj.id = r0.project_id where r0.id = ${runId}::uuid)`
  const run = { startedAt: of('r0.started_at'), createdAt: of('r0.created_at'), projectId: of('r0.project_id'), defaultBranch: of('pj.default_branch') }
  return new Set(rowsOf<{ id: string }>(await tx.execute(sql`
    select x.id from unnest(${plainArray(failing)}::uuid[]) as x(id) where ${alreadyFailing(sql`x.id`, run)}`)).map(r => r.id))
}

/**
 * Judges the project's stored failures again (alreadyFailing), against its default branch as it is now: after that
 * branch changed, every run's new and known are of the new one, as the pages and receipts that name it say.
 */
export async function judgeFailuresAgain(tx: Tx, projectId: string): Promise<void> {
  await tx.execute(sql`
    update ${testResults} t set known_failure = ${alreadyFailing(sql`t.test_case_id`,
      { startedAt: sql`r0.started_at`, createdAt: sql`r0.created_at`, projectId: sql`r0.project_id`, defaultBranch: sql`pj.default_branch` })}
    from ${runs} r0 join ${projects} pj on pj.id = r0.project_id
    where r0.id = t.run_id and t.project_id = ${projectId}::uuid and t.status in ('failed', 'errored')`)
}
