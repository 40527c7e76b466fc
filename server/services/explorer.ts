import { sql, type SQL } from 'drizzle-orm'
import { useDb, schema } from '../db'
import { rowsOf } from '../db/sql'
import { isSlower, relativeChange } from '../analysis/durations'
import type { FlakyLabel } from '#shared/constants'
import type { ListExplorerTestsQuery } from '#shared/schemas/reads'
import { REGRESSION_MIN_TIMED, SLOWER_MS, SLOWER_RATIO, type ExplorerSort } from '#shared/search'
import type { ExplorerPage, ExplorerTest, ExplorerWindow } from '#shared/types/explorer'
import { decodeCursor, listOf, toPage } from './pagination'
import { SHOWN_NAME, lastWithout } from './sort-keys'
import { requireProject } from './projects'
import { ownedBy, ownerGroupRows, toOwnerGroups } from './owner-groups'
import type { Scope } from './scope'
import { testTextMatches } from './search'
import { percentile, rollUpTestDays } from './test-rollups'

/**
 * The test explorer: every test that ran in a window of days up to the project's latest run, with its results,
 * failure rate, flakiness, p50/p95 duration, the p50 of the window before (duration regressions) and a pass rate
 * per day. Read from the per-test day rollups kept after ingest (services/test-rollups.ts), never from results: a row per
 * test and day, whatever the size of the history. A window's p50/p95 are its days' p50/p95 weighted by their
 * durations (exact for a test that ran on one day of it; unnesting every duration of a window took 360 ms at 1M results).
 */

const { testDayRollups, testCases, projectRollups } = schema

interface Row {
  id: string
  title: string
  suite_path: string[]
  file: string | null
  variant: string | null
  owners: string[]
  flaky_label: FlakyLabel
  flaky_score: number
  runs: number
  failed: number
  flaky: number
  p50: number | null
  p95: number | null
  prev_p50: number | null
  days: Record<string, number> | null
  k: number | string
}

/**
 * The SQL value each sort orders by, either way: a number (a test without one last whichever way: a duration is at
 * least 0, a change at least -1) or the name the list shows (SHOWN_NAME, as the flaky list sorts it).
 */
const SORT_KEYS: Record<ExplorerSort, (asc: boolean) => SQL> = {
  title: () => SHOWN_NAME,
  runs: () => sql`s.runs::float8`,
  failureRate: () => sql`s.failed::float8 / s.runs`,
  flakiness: () => sql`test_cases.flaky_score::float8`,
  p50: lastWithout(sql`s.p50::float8`, [-2, 1e15]),
  p95: lastWithout(sql`s.p95::float8`, [-2, 1e15]),
  change: lastWithout(sql`(s.p50 - s.prev_p50)::float8 / nullif(s.prev_p50, 0)`, [-2, 1e15]),
}
/** isSlower (analysis/durations.ts) in SQL, for the regressions view's filter. */
const REGRESSION = sql`s.prev_p50 is not null and s.p50 >= s.prev_p50 * ${SLOWER_RATIO}::numeric and s.p50 - s.prev_p50 >= ${SLOWER_MS}::int`
const VIEW_SORT = { all: 'failureRate', slowest: 'p50', regressions: 'change' } as const

/** The explorer's window: `days` UTC days up to the day of the project's latest run. */
function windowOf(latest: Date | null, days: number): ExplorerWindow | null {
  if (!latest) return null
  const to = latest.toISOString().slice(0, 10)
  const from = new Date(Date.parse(to) - (days - 1) * 86_400_000).toISOString().slice(0, 10)
  return { from, to, days }
}

/** A page of a project's tests in the explorer: sorted and filtered as asked, cursor-paged on (sort key, id), or grouped by owner. */
export async function listExplorerTests(scope: Scope, projectSlug: string, query: ListExplorerTestsQuery): Promise<ExplorerPage> {
  const project = await requireProject(scope, projectSlug)
  // runs whose rollup job has not run yet (uploaded a moment ago) are rolled up first
  await rollUpTestDays(project.id)
  const db = await useDb()
  const [latest] = await db.select({ at: projectRollups.latestStartedAt }).from(projectRollups)
    .where(sql`${projectRollups.projectId} = ${project.id}`)
  const window = windowOf(latest?.at ?? null, query.days)
  if (!window) return { items: [], nextCursor: null, window }
  const sort = query.sort ?? VIEW_SORT[query.view]
  const asc = (query.dir ?? (sort === 'title' ? 'asc' : 'desc')) === 'asc'
  const list = listOf('explorer', project.id, query.view, sort, asc, query.query, query.status, query.flaky, query.owner, query.days)
  const after = decodeCursor<number | string>(query.cursor, sort === 'title' ? 'string' : 'number', list)
  const key = SORT_KEYS[sort](asc)
  const cursorKey = sort === 'title' ? sql`${after?.key}::text` : sql`${after?.key}::float8`
  const filters = [
    query.view === 'regressions' ? REGRESSION : undefined,
    query.query ? testTextMatches(query.query) : undefined,
    query.status === 'failing' ? sql`s.failed > 0` : query.status === 'passing' ? sql`s.failed = 0` : undefined,
    query.flaky === 'true' ? sql`(test_cases.flaky_label = 'flaky' or s.flaky > 0)` : undefined,
    query.owner ? ownedBy(query.owner, sql`test_cases.owners`) : undefined,
    after && !query.groupBy ? sql`(${key}, test_cases.id) ${asc ? sql`>` : sql`<`} (${cursorKey}, ${after.id}::uuid)` : undefined,
  ].filter(f => f !== undefined)
  const order = asc ? sql`asc` : sql`desc`
  const columns = sql`test_cases.id, title, suite_path, file, variant, owners, flaky_label, flaky_score, s.runs, s.failed, s.flaky`
  const where = filters.length ? sql`where ${sql.join(filters, sql` and `)}` : sql``
  if (query.groupBy) {
    const list = sql`
      with ${timed(project.id, window, { name: 's' })}
      select ${columns}, s.p50, s.p95, s.prev_p50, s.days, ${key} as k
      from s join ${testCases} on test_cases.id = s.test_case_id ${where}`
    const grouped = await ownerGroupRows<Row>(list, sql`x.k ${order}, x.id ${order}`, query.limit)
    return { items: [], nextCursor: null, window, groups: toOwnerGroups(grouped, r => toExplorerTest(r, window)) }
  }
  // The page is cut by what its sort and filters need, read for every test: the counts (runs, failure rate,
  // flakiness, title: the default view), or the window's p50s (the slowest and regressions views, the p50 and change
  // sorts), or every duration (the p95 sort). Only the page's tests then have the rest read: their p95s, their days.
  // Ranking every test's durations before cutting took a project of 4,000 tests on PGlite 145–157 ms whatever the
  // sort; cut from the counts 22–24 ms, from the p50s 73–83 ms.
  const cut = sort === 'p95'
    ? timed(project.id, window, { name: 'cut' })
    : sort === 'p50' || sort === 'change' || query.view === 'regressions'
      ? timed(project.id, window, { name: 'cut', p95: false })
      : sql`cut as (${counted(project.id, window)})`
  const rows = rowsOf<Row>(await db.execute(sql`
    with ${cut}, page as (
      select ${columns}, ${key} as k from cut as s join ${testCases} on test_cases.id = s.test_case_id ${where}
      order by k ${order}, test_cases.id ${order} limit ${query.limit + 1}
    ), ${timed(project.id, window, { name: 's', only: sql`(select id from page)` })}
    select page.*, s.p50, s.p95, s.prev_p50, s.days from page left join s on s.test_case_id = page.id
    order by page.k ${order}, page.id ${order}`))
  return { ...toPage(rows, query.limit, r => toExplorerTest(r, window), r => [r.k, r.id], list), window }
}

/** Each test's runs, failures and flaky passes in the window, from its day rows (test_case_id, runs, failed, flaky). */
function counted(projectId: string, window: ExplorerWindow): SQL {
  return sql`
    select test_case_id, sum(runs)::int as runs, sum(failed)::int as failed, sum(flaky)::int as flaky
    from ${testDayRollups}
    where project_id = ${projectId}::uuid and day <= ${window.to}::date and day >= ${window.from}::date
    group by test_case_id having sum(runs) > 0`
}

/**
 * CTEs ending in one named `name` (before it `<name>_d`, `<name>_ranked`): each test's counts, p50 and p95 and pass
 * rate per day in the window and its p50 in the window before (both windows with REGRESSION_MIN_TIMED timed results),
 * from its day rows (of the tests `only` selects, when given). With `p95: false` only the counts and the p50s (p95
 * and days null): one sort of the day rows instead of two.
 */
function timed(projectId: string, window: ExplorerWindow, opts: { name: string, only?: SQL, p95?: boolean }): SQL {
  const [out, d, ranked] = [opts.name, `${opts.name}_d`, `${opts.name}_ranked`].map(n => sql.raw(n))
  const p95 = opts.p95 !== false
  return sql`${d} as (
      select r.test_case_id, r.day, r.runs, r.failed, r.flaky, ${percentile(sql`r.durations`, '0.5')} as p50_ms,
        ${p95 ? percentile(sql`r.durations`, '0.95') : sql`null::int`} as p95_ms, cardinality(r.durations) as timed,
        r.day >= ${window.from}::date as cur
      from ${testDayRollups} r
      where r.project_id = ${projectId}::uuid and r.day <= ${window.to}::date and r.day >= ${window.from}::date - ${window.days}::int
        ${opts.only ? sql`and r.test_case_id in ${opts.only}` : sql``}
    ), ${ranked} as (
      select d.*, sum(timed) over (partition by test_case_id, cur) as total,
        sum(timed) over (partition by test_case_id, cur order by p50_ms rows unbounded preceding) as upto50,
        ${p95 ? sql`sum(timed) over (partition by test_case_id, cur order by p95_ms rows unbounded preceding)` : sql`null::bigint`} as upto95
      from ${d} d
    ), ${out} as (
      select test_case_id, sum(runs) filter (where cur)::int as runs, sum(failed) filter (where cur)::int as failed,
        sum(flaky) filter (where cur)::int as flaky,
        ${p95 ? sql`jsonb_object_agg(day, 1 - failed::float8 / runs) filter (where cur and runs > 0)` : sql`null::jsonb`} as days,
        min(p50_ms) filter (where cur and upto50 >= total * 0.5) as p50, min(p95_ms) filter (where cur and upto95 >= total * 0.95) as p95,
        -- the window before counts only with REGRESSION_MIN_TIMED timed results in both: a p50 of fewer is noise
        case when max(total) filter (where cur) >= ${REGRESSION_MIN_TIMED}::int
          then min(p50_ms) filter (where not cur and upto50 >= total * 0.5 and total >= ${REGRESSION_MIN_TIMED}::int) end as prev_p50
      from ${ranked} group by test_case_id
      having sum(runs) filter (where cur) > 0
    )`
}

function toExplorerTest(r: Row, window: ExplorerWindow): ExplorerTest {
  const from = Date.parse(window.from)
  const trend = Array.from({ length: window.days }, (_, i) => r.days?.[new Date(from + i * 86_400_000).toISOString().slice(0, 10)] ?? null)
  return {
    testCaseId: r.id, title: r.title, suitePath: r.suite_path, file: r.file, variant: r.variant, owners: r.owners,
    label: r.flaky_label, flakyScore: r.flaky_score, runs: r.runs, failed: r.failed, flaky: r.flaky,
    failureRate: r.runs ? r.failed / r.runs : 0, p50Ms: r.p50, p95Ms: r.p95, previousP50Ms: r.prev_p50,
    change: relativeChange(r.prev_p50, r.p50), regression: isSlower(r.prev_p50, r.p50), trend,
  }
}
