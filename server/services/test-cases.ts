import { and, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm'
import { useReadDb, schema, type Db } from '../db'
import type { GetTestCaseQuery, ListFlakyTestsPageQuery, TestCaseHistoryQuery } from '#shared/schemas/reads'
import type { FlakyTestView, TestCaseDetail, TestHistoryEntry, TestHistoryPage } from '#shared/types/reads'
import type { GroupedPage } from '#shared/types/explorer'
import type { FlakySort } from '#shared/search'
import { notFound } from '../utils/errors'
import { decodeCursor, listOf, toPage, type CursorNames } from './pagination'
import { SHOWN_NAME, lastWithout } from './sort-keys'
import { repositoryOf, requireProject } from './projects'
import { clipError, FAILED_RESULT, SKIP_REASON, withSkipReason } from './runs'
import { plainArray, rowsOf } from '../db/sql'
import { quarantineColumns, quarantineJoin, toQuarantineView } from './quarantine'
import { ownedBy, ownerGroupRows, toOwnerGroups } from './owner-groups'
import { inScope, type Scope } from './scope'
import { failedWithErrorMatching, testTextMatches } from './search'
import { withCurrentCount } from './flakiness'
import { compareWithDefaultBranch } from './test-branches'

const { testCases, testResults, runs, projects, clusterTestCases, failureClusters, quarantines, users } = schema

type CaseRow = typeof testCases.$inferSelect
type QuarantinedRow = Parameters<typeof toQuarantineView>[0]

/** A test as the flaky list and its page show it; `lastFailure` is lastOwnFailures' (the stored one counts outages). */
function toFlakyView({ t, ...q }: { t: CaseRow } & QuarantinedRow, project: string, lastFailure: Date | null): FlakyTestView {
  const broken = t.flakyLabel === 'broken'
  return {
    testCaseId: t.id, project, title: t.title, suitePath: t.suitePath, file: t.file, variant: t.variant, label: t.flakyLabel,
    reason: t.flakyReason, branch: t.flakyBranch,
    failingSince: broken ? t.failingSince ?? null : null, lastPassed: broken ? t.lastPassed ?? null : null,
    score: t.flakyScore, confidence: t.flakyConfidence, sample: t.flakySample, retryPasses: t.flakyRetryPasses, flips: t.flakyFlips,
    mixedCommits: t.flakyMixedCommits, failureRate: failureRateOf(t),
    lastFlakeAt: t.lastFlakeAt?.toISOString() ?? null, lastFailureAt: lastFailure?.toISOString() ?? null,
    quarantine: toQuarantineView(q), owners: t.owners,
  }
}

/**
 * Failed results in the windows its label reads, of the results in its window: the failure windows include the label
 * branch's newest results, which may lie behind the window, hence the cap. FLAKY_SORT_KEYS.failureRate in SQL.
 */
const failureRateOf = (t: CaseRow): number | null => t.flakySample ? Math.min(t.flakyWindowFailures / t.flakySample, 1) : null

/** `any`: every test that is not plainly stable: broken or flaky (a broken test's score is often 0), or any evidence of flakiness. */
const ANY_LABEL = sql`(${testCases.flakyLabel} in ('broken', 'flaky') or ${testCases.flakyScore} > 0)`

/**
 * The value each sort of the flaky list orders by, either way, and its type in SQL (the cursor's key is cast to it,
 * so a page continues strictly after the last row's key). A test without a value (no result counted, never flaked)
 * comes last whichever way: a failure rate lies in 0–1, a last flake's epoch within Postgres' timestamps (±1e13 s).
 */
const FLAKY_SORT_KEYS: Record<FlakySort, { key: (asc: boolean) => SQL, type: SQL }> = {
  score: { key: () => sql`${testCases.flakyScore}`, type: sql`real` },
  failureRate: {
    key: lastWithout(sql`least(${testCases.flakyWindowFailures}::float8 / nullif(${testCases.flakySample}, 0), 1)`, [-1, 2]),
    type: sql`float8`,
  },
  lastFlake: { key: lastWithout(sql`extract(epoch from ${testCases.lastFlakeAt})::float8`, [-1e15, 1e15]), type: sql`float8` },
  title: { key: () => SHOWN_NAME, type: sql`text` },
}

/**
 * Test cases of a project sorted as asked (by flakiness score by default; ties by id), read from the rollup. With a
 * branch, only those that failed or passed on retry in a run of that branch (one index probe per candidate; no history
 * is scanned otherwise).
 */
export async function listFlakyTests(
  scope: Scope, projectSlug: string, query: ListFlakyTestsPageQuery,
): Promise<GroupedPage<FlakyTestView>> {
  const project = await requireProject(scope, projectSlug)
  const sort = query.sort ?? 'score'
  const asc = (query.dir ?? (sort === 'title' ? 'asc' : 'desc')) === 'asc'
  const list = listOf('flaky', project.id, query.label, query.query, query.branch, query.owner, sort, asc)
  const after = query.groupBy ? null : decodeCursor<number | string>(query.cursor, sort === 'title' ? 'string' : 'number', list)
  const db = await useReadDb()
  const label = query.label === 'any' ? ANY_LABEL : eq(testCases.flakyLabel, query.label)
  const filter = and(eq(testCases.projectId, project.id), label,
    query.query ? sql`(${testTextMatches(query.query)} or ${failedWithErrorMatching(query.query, testCases.id)})` : undefined,
    query.owner ? ownedBy(query.owner, testCases.owners) : undefined,
    query.branch
      ? sql`exists (select 1 from ${testResults} join ${runs} on ${runs.id} = ${testResults.runId} where ${testResults.testCaseId} = ${testCases.id} and ${runs.branch} = ${query.branch} and (${testResults.flaky} or ${testResults.status} in ('failed', 'errored')))`
      : undefined)
  const key = FLAKY_SORT_KEYS[sort].key(asc)
  const type = FLAKY_SORT_KEYS[sort].type
  const order = asc ? sql`asc` : sql`desc`
  const select = () => db.select({ t: testCases, ...quarantineColumns, k: sql<number | string>`${key}` }).from(testCases)
    .leftJoin(quarantines, quarantineJoin.on).leftJoin(users, quarantineJoin.by)
  if (query.groupBy) {
    const ids = db.select({ id: testCases.id, k: sql`${key}`.as('k'), owners: testCases.owners }).from(testCases).where(filter)
    const grouped = await ownerGroupRows<{ id: string }>(ids, sql`x.k ${order}, x.id`, query.limit)
    const rows = grouped.length ? await select().where(inArray(testCases.id, [...new Set(grouped.map(r => r.id))])) : []
    const views = await toFlakyViews(db, rows, project.slug)
    const byId = new Map(rows.map(r => [r.t.id, views.get(r)!]))
    return { items: [], nextCursor: null, groups: toOwnerGroups(grouped, r => byId.get(r.id)) }
  }
  // ties continue in id order whichever way the key runs
  const cursorKey = after && sql`${after.key}::${type}`
  const rows = await select()
    .where(and(filter, after
      ? sql`(${key} ${asc ? sql`>` : sql`<`} ${cursorKey} or (${key} = ${cursorKey} and ${testCases.id} > ${after.id}::uuid))`
      : undefined))
    .orderBy(sql`${key} ${order}`, testCases.id).limit(query.limit + 1)
  const views = await toFlakyViews(db, rows.slice(0, query.limit), project.slug)
  return toPage(rows, query.limit, r => views.get(r)!, r => [r.k, r.t.id], list)
}

/**
 * The runs a test failed in, for good and passed on retry, outages left out as flakiness leaves them out, and the runs
 * it failed in (either way) in an outage apart: its counters, kept at ingest (./outages.ts).
 */
function runsFailed(t: CaseRow): Pick<TestCaseDetail, 'failedRuns' | 'flakyRuns' | 'outageRuns'> {
  const outageFailed = Math.min(t.outageFailedRuns, t.failedRuns)
  const outageFlaky = Math.min(t.outageFlakyRuns, t.flakyRuns)
  return { failedRuns: t.failedRuns - outageFailed, flakyRuns: t.flakyRuns - outageFlaky, outageRuns: outageFailed + outageFlaky }
}

/**
 * When each test last failed for good outside an outage (an infrastructure run, or an upload that was an outage by
 * itself), or null when it never did: the stored last_failure_at counts outages too, so a test that failed in one is
 * read again, its failures walked newest first past its outages only (one statement for all of them). Any other test's
 * stored value is its own. The test page and the flaky list read it so.
 */
async function lastOwnFailures(db: Db, cases: CaseRow[]): Promise<Map<string, Date | null>> {
  const out = new Map(cases.map(t => [t.id, t.lastFailureAt]))
  const reread = cases.filter(t => t.outageFailedRuns && t.lastFailureAt)
  for (const t of reread) out.set(t.id, null)
  const ids = reread.filter(t => runsFailed(t).failedRuns).map(t => t.id)
  if (!ids.length) return out
  const rows = rowsOf<{ id: string, at: string | Date | null }>(await db.execute(sql`
    select x.id, (
      select ${testResults.runStartedAt} from ${testResults} join ${runs} on ${runs.id} = ${testResults.runId}
      where ${testResults.testCaseId} = x.id and ${FAILED_RESULT} and not ${testResults.infra} and not ${runs.infra}
      order by ${testResults.runStartedAt} desc, ${testResults.id} desc limit 1
    ) as at
    from unnest(${plainArray(ids)}::uuid[]) as x(id)`))
  for (const r of rows) out.set(r.id, r.at ? new Date(r.at) : null)
  return out
}

/** Rows of the flaky list as it shows them: each test's last failure for good (lastOwnFailures) read for the page at once. */
async function toFlakyViews<R extends { t: CaseRow } & QuarantinedRow>(db: Db, rows: R[], project: string): Promise<Map<R, FlakyTestView>> {
  const lastFailures = await lastOwnFailures(db, rows.map(r => r.t))
  return new Map(rows.map(r => [r, toFlakyView(r, project, lastFailures.get(r.t.id) ?? null)]))
}

/** One test case: its flakiness with the evidence, recent history, the clusters it belongs to and its last error. */
export async function getTestCase(scope: Scope, testCaseId: string, query: GetTestCaseQuery): Promise<TestCaseDetail> {
  const db = await useReadDb()
  const [row] = await db.select({ t: testCases, slug: projects.slug, ...quarantineColumns })
    .from(testCases).innerJoin(projects, eq(projects.id, testCases.projectId))
    .leftJoin(quarantines, quarantineJoin.on).leftJoin(users, quarantineJoin.by)
    .where(and(eq(testCases.id, testCaseId), inScope(scope, testCases.projectId))).limit(1)
  if (!row) throw notFound('No test case with this id visible to you.', 'test_case_not_found')
  const { t, slug, ...q } = row
  const [counted, historyPlusOne, clusters, [last], repository, lastFailure] = await Promise.all([
    withCurrentCount(db, t),
    // no history read when the caller pages it itself (get_test_case's historyCursor)
    query.history ? historyRows(t, null, query.history + 1) : [],
    db.select({
      id: failureClusters.id, title: failureClusters.title, category: failureClusters.category, status: failureClusters.status,
      occurrences: clusterTestCases.occurrences,
    }).from(clusterTestCases).innerJoin(failureClusters, eq(failureClusters.id, clusterTestCases.clusterId))
      .where(and(eq(clusterTestCases.testCaseId, t.id), isNull(failureClusters.mergedIntoId))).orderBy(desc(clusterTestCases.lastSeenAt)),
    typicalError(t.id),
    repositoryOf(t.projectId),
    lastOwnFailures(db, [t]).then(m => m.get(t.id) ?? null),
  ])
  const history = historyPage(t, historyPlusOne, query.history)
  return {
    ...toFlakyView({ t: counted, ...q }, slug, lastFailure), projectId: t.projectId, repository,
    ...runsFailed(t), evidence: t.flakyEvidence,
    history: history.items, historyNextCursor: history.nextCursor,
    clusters,
    lastError: last ? typicalView(last) : null,
  }
}

type TestCaseRow = typeof testCases.$inferSelect
type HistoryRow = Awaited<ReturnType<typeof historyRows>>[number]

/** A test's results newest first, after the cursor's (time, id) when given; one extra row tells whether more follow. */
async function historyRows(t: TestCaseRow, after: { key: string, id: string } | null, limit: number, branch?: string) {
  const db = await useReadDb()
  return db.select({
    id: testResults.id, testCaseId: testResults.testCaseId, status: testResults.status, flaky: testResults.flaky,
    attempts: testResults.attemptCount, durationMs: testResults.durationMs, errorMessage: testResults.errorMessage,
    clusterId: testResults.clusterId, runId: testResults.runId, skipReason: SKIP_REASON,
    branch: runs.branch, commit: runs.commitSha, startedAt: testResults.runStartedAt,
  }).from(testResults).innerJoin(runs, eq(runs.id, testResults.runId))
    .where(and(eq(testResults.testCaseId, t.id), branch ? eq(runs.branch, branch) : undefined,
      after ? sql`(${testResults.runStartedAt}, ${testResults.id}) < (${after.key}::timestamptz, ${after.id}::uuid)` : undefined))
    .orderBy(desc(testResults.runStartedAt), desc(testResults.id)).limit(limit)
}

function toHistoryEntry(t: TestCaseRow, { errorMessage, skipReason, ...h }: HistoryRow): TestHistoryEntry {
  return {
    ...h, title: t.title, suitePath: t.suitePath, file: t.file, variant: t.variant, startedAt: h.startedAt.toISOString(),
    ...clipError(errorMessage), ...withSkipReason(skipReason),
  }
}

/**
 * A page of one test's history, newest first (the test page's table past its first page), on one branch when asked,
 * with how that branch compares to the default branch. 404 outside the scope.
 */
export async function listTestCaseHistory(
  scope: Scope, testCaseId: string, query: TestCaseHistoryQuery, names?: CursorNames,
): Promise<TestHistoryPage> {
  const after = decodeCursor<string>(query.cursor, 'timestamp', listOf('history', testCaseId, query.branch), names)
  const db = await useReadDb()
  const [t] = await db.select().from(testCases).where(and(eq(testCases.id, testCaseId), inScope(scope, testCases.projectId))).limit(1)
  if (!t) throw notFound('No test case with this id visible to you.', 'test_case_not_found')
  const [rows, branch] = await Promise.all([
    historyRows(t, after, query.limit + 1, query.branch), compareWithDefaultBranch(t, query.branch),
  ])
  return { ...historyPage(t, rows, query.limit, query.branch), branch }
}

/**
 * A page of a test's history from its rows read with one extra: the cursor continues the history list on `branch`
 * (all branches when none), so the test case's own newest results page on through `GET …/history` as its first page.
 */
function historyPage(t: TestCaseRow, rows: HistoryRow[], limit: number, branch?: string) {
  return toPage(rows, limit, r => toHistoryEntry(t, r), r => [r.startedAt.toISOString(), r.id], listOf('history', t.id, branch))
}

/** Newest results of a test read for its typical error, and the failures among them it is picked from. */
const TYPICAL_SCAN = 500
const TYPICAL_OF = 50

interface TypicalRow {
  resultId: string
  runId: string
  message: string | null
  stack: string | null
  steps: unknown[] | null
  at: string | Date
  occurrences: number
  outOf: number
  infraFailures: number
  outage: boolean
}

/** The typical error as the wire carries it: `outage` only when set, as a result's. */
function typicalView({ outage, ...last }: TypicalRow): NonNullable<TestCaseDetail['lastError']> {
  return {
    ...last, steps: last.steps ?? null, at: new Date(last.at).toISOString(), ...(outage ? { outage: true as const } : {}),
  }
}

/**
 * A test's own typical error: the most frequent (by fingerprint, else message) among its newest failures (failed, or
 * passed on retry) outside infrastructure runs, the newest of them, with how many of those newest failures were in
 * infrastructure runs (or outages of the shard or job that uploaded them: test_results.infra) and left out (the test's
 * "failed in N runs" counts them apart). An outage's error only when nothing else failed, and then it says so (`outage`);
 * the newest failure when none is among its newest TYPICAL_SCAN results. Bounded index walks only.
 */
async function typicalError(testCaseId: string): Promise<TypicalRow[]> {
  const db = await useReadDb()
  return rowsOf<TypicalRow>(await db.execute(sql`
    with scanned as (
      select id, run_id, status, flaky, infra as outage, error_message, error_stack, steps, fingerprint, run_started_at from ${testResults}
      where test_case_id = ${testCaseId}::uuid order by run_started_at desc, id desc limit ${TYPICAL_SCAN}
    ), recent as (
      select s.*, ru.infra or s.outage as infra from scanned s join ${runs} ru on ru.id = s.run_id
      where (s.status in ('failed', 'errored') or s.flaky) and (s.error_message is not null or s.error_stack is not null)
      order by s.run_started_at desc, s.id desc limit ${TYPICAL_OF}
    ), older as (
      select f.*, false as infra from (
        select id, run_id, status, flaky, infra as outage, error_message, error_stack, steps, fingerprint, run_started_at from ${testResults}
        where test_case_id = ${testCaseId}::uuid and ${FAILED_RESULT} order by run_started_at desc, id desc limit 1
      ) f where not exists (select 1 from recent)
    ), pool as (
      select * from recent where not infra or not exists (select 1 from recent where not infra)
      union all select * from older
    ), ranked as (
      select *, count(*) over (partition by coalesce(fingerprint, left(error_message, 200), '')) as occurrences,
        count(*) over () as out_of, bool_and(infra) over () as all_outages,
        row_number() over (partition by coalesce(fingerprint, left(error_message, 200), '') order by run_started_at desc, id desc) as nth
      from pool
    )
    select id as "resultId", run_id as "runId", error_message as message, error_stack as stack, steps, run_started_at as at,
      occurrences::int as occurrences, out_of::int as "outOf",
      (select count(*) from recent where infra and exists (select 1 from recent where not infra))::int as "infraFailures",
      all_outages as outage
    from ranked where nth = 1
    order by occurrences desc, run_started_at desc, id desc limit 1`))
}
