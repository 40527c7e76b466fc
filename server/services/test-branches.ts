import { sql } from 'drizzle-orm'
import { useDb, schema } from '../db'
import { rowsOf } from '../db/sql'
import { failsOnlyOn } from '../analysis/branches'
import type { BranchComparison } from '#shared/types/reads'

/** How far back from the test's newest result on either branch both are counted. */
const WINDOW_DAYS = 30

const { testResults, runs, projects } = schema

interface Counts {
  to: string | Date | null
  default_branch: string
  runs: number
  failed: number
  default_runs: number
  default_failed: number
}

/**
 * One test on `branch` against its project's default branch over the same window: failures on each (infrastructure
 * runs left out), and whether it fails only on one of them. Null without a branch or on the default branch itself.
 * The test's results of the window are read through its (test, time) index.
 */
export async function compareWithDefaultBranch(
  t: { id: string, projectId: string }, branch: string | undefined,
): Promise<BranchComparison | null> {
  if (!branch) return null
  const db = await useDb()
  const [row] = rowsOf<Counts>(await db.execute(sql`
    with p as (select default_branch from ${projects} where id = ${t.projectId}::uuid),
    newest as (
      select max(r.run_started_at) as at from ${testResults} r join ${runs} ru on ru.id = r.run_id, p
      where r.test_case_id = ${t.id}::uuid and (ru.branch = ${branch} or ru.branch = p.default_branch)
    ), w as (
      select r.status, ru.branch from ${testResults} r join ${runs} ru on ru.id = r.run_id, newest
      where r.test_case_id = ${t.id}::uuid and r.run_started_at <= newest.at
        and r.run_started_at > newest.at - make_interval(days => ${WINDOW_DAYS}) and r.status <> 'skipped' and not ru.infra and not r.infra
    )
    select newest.at as to, p.default_branch,
      (select count(*) from w where w.branch = ${branch})::int as runs,
      (select count(*) from w where w.branch = ${branch} and w.status in ('failed', 'errored'))::int as failed,
      (select count(*) from w where w.branch = p.default_branch)::int as default_runs,
      (select count(*) from w where w.branch = p.default_branch and w.status in ('failed', 'errored'))::int as default_failed
    from p, newest`))
  if (!row || row.default_branch === branch) return null
  const to = row.to ? new Date(row.to) : null
  const counts = { runs: row.runs, failed: row.failed, defaultRuns: row.default_runs, defaultFailed: row.default_failed }
  return {
    branch, defaultBranch: row.default_branch, from: to ? new Date(to.getTime() - WINDOW_DAYS * 86_400_000).toISOString() : null,
    to: to?.toISOString() ?? null, ...counts, failsOnlyOn: failsOnlyOn(counts),
  }
}
