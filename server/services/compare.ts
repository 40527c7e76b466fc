import { sql } from 'drizzle-orm'
import { useReadDb, schema } from '../db'
import { rowsOf } from '../db/sql'
import type { CompareRunsQuery } from '#shared/schemas/reads'
import type { TestStatus } from '#shared/constants'
import { RUN_CHANGES, SLOWER_MS, SLOWER_RATIO, type RunChange } from '#shared/search'
import type { ComparedTest, RunComparison } from '#shared/types/search'
import { badRequest, notFound } from '../utils/errors'
import { clipError, findRun, previousRunOf, toRunSummary } from './runs'
import type { Scope } from './scope'

const { testResults, testCases } = schema

interface ChangeRow {
  change: RunChange
  total: number
  test_case_id: string
  title: string
  suite_path: string[]
  file: string | null
  variant: string | null
  status: TestStatus | null
  flaky: boolean | null
  base_status: TestStatus | null
  duration_ms: number | null
  base_duration_ms: number | null
  error_message: string | null
}

/**
 * Both runs' results joined by test case: each test's kind of change (newly failing, fixed, still failing, added,
 * removed, notably slower: skips are not timed), the total per kind and its first `limit` tests (the biggest
 * slowdowns first, else by title).
 */
async function changesBetween(runId: string, baseId: string, limit: number): Promise<ChangeRow[]> {
  const db = await useReadDb()
  return rowsOf<ChangeRow>(await db.execute(sql`
    with h as (select test_case_id, status, flaky, duration_ms, error_message from ${testResults} where run_id = ${runId}::uuid),
    b as (select test_case_id, status, duration_ms from ${testResults} where run_id = ${baseId}::uuid),
    j as (
      select coalesce(h.test_case_id, b.test_case_id) as test_case_id, h.status, h.flaky, b.status as base_status,
        h.duration_ms, b.duration_ms as base_duration_ms, h.error_message,
        case
          when b.test_case_id is null then 'added'
          when h.test_case_id is null then 'removed'
          when h.status in ('failed', 'errored') and b.status in ('failed', 'errored') then 'stillFailing'
          when h.status in ('failed', 'errored') then 'newlyFailing'
          when b.status in ('failed', 'errored') and h.status = 'passed' then 'fixed'
          when h.status <> 'skipped' and b.status <> 'skipped'
            and h.duration_ms >= b.duration_ms * ${SLOWER_RATIO}::numeric and h.duration_ms - b.duration_ms >= ${SLOWER_MS}::int then 'slower'
        end as change
      from h full join b on b.test_case_id = h.test_case_id
    ), k as (
      select j.*, t.title, t.suite_path, t.file, t.variant, (count(*) over (partition by j.change))::int as total,
        row_number() over (partition by j.change order by
          case when j.change = 'slower' then j.duration_ms - j.base_duration_ms end desc nulls last, t.title, j.test_case_id) as nth
      from j join ${testCases} t on t.id = j.test_case_id
      where j.change is not null
    )
    select * from k where nth <= ${limit}::int order by change, nth`))
}

/**
 * A run compared with another of its project: by default the previous run of its branch, or the default branch's
 * latest before it when it is the first of its branch. Both runs are looked up in scope (a 404 outside it).
 */
export async function compareRuns(scope: Scope, runId: string, query: CompareRunsQuery): Promise<RunComparison> {
  const { run, slug } = await findRun(scope, runId)
  let base = null
  let baseReason: RunComparison['baseReason'] = null
  if (query.to !== 'previous') {
    // a `to` that names no run is said as such: the page and MCP name that id, not the run compared
    const other = await findRun(scope, query.to).catch((err: { statusCode?: number }) => {
      throw err?.statusCode === 404 ? notFound('No run to compare with has this id visible to you (the run given to compare with: `to`, or compareTo over MCP).', 'compare_run_not_found') : err
    })
    if (other.run.projectId !== run.projectId) {
      throw badRequest('Both runs must belong to the same project: test cases are compared within one project.', 'runs_of_different_projects')
    }
    if (other.run.id === run.id) throw badRequest('A run compared with itself shows no change: pick another run of its project.', 'same_run')
    ;[base, baseReason] = [other.run, 'chosen' as const]
  }
  else {
    const previous = await previousRunOf(run.id)
    ;[base, baseReason] = previous ? [previous.run, previous.reason] : [null, null]
  }
  const rows = base ? await changesBetween(run.id, base.id, query.limit) : []
  const changes = Object.fromEntries(RUN_CHANGES.map(c => [c, { total: 0, tests: [] as ComparedTest[] }])) as RunComparison['changes']
  for (const r of rows) {
    changes[r.change].total = r.total
    changes[r.change].tests.push({
      testCaseId: r.test_case_id, title: r.title, suitePath: r.suite_path, file: r.file, variant: r.variant,
      status: r.status, flaky: !!r.flaky, baseStatus: r.base_status, durationMs: r.duration_ms, baseDurationMs: r.base_duration_ms,
      ...clipError(r.error_message),
    })
  }
  return { run: toRunSummary(run, slug), base: base ? toRunSummary(base, slug) : null, baseReason, changes }
}
