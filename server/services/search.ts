import { and, desc, eq, isNull, sql, type Placeholder, type SQL } from 'drizzle-orm'
import { readOrPrimary, useReadDb, schema, type Db } from '../db'
import { iso, rowsOf } from '../db/sql'
import type { SearchQuery } from '#shared/schemas/reads'
import type { FlakyLabel, TestStatus } from '#shared/constants'
import { likeEscaped, runNumberOf, type SearchStatus } from '#shared/search'
import { pytestEscapes, shownNameLikes } from '#shared/test-names'
import { libtestLike } from '#shared/rust-tests'
import type { Page } from '#shared/types/reads'
import type { SearchClusterHit, SearchResults, SearchRunHit, SearchTestHit } from '#shared/types/search'
import { decodeCursor, listOf, toPage } from './pagination'
import { requireProject } from './projects'
import { inScope, type Scope } from './scope'
import { notFound } from '../utils/errors'

const { testCases, failureClusters, clusterTestCases, projects, testResults, runs } = schema

/**
 * Search across history. Text is matched as a case-insensitive substring (ILIKE) on two trigram-indexed expressions
 * (migration 0006): a test's title, suite path and file, and a failure cluster's error text. A test whose own text does
 * not hold the words is still found through the clusters it failed in, so one search finds the tests and the
 * clusters an error mentions without indexing every stored error message (test_results is the ingest's hot table).
 */
export const likePattern = (text: string) => `%${likeEscaped(text)}%`

/**
 * The test's indexed text holds `text`, or holds it as pytest escapes it in a parametrize id (pytestEscapes): the list
 * shows `test_greet[Müller]`, stored as `test_greet[M\\xfcller]`, and a search for what it shows finds it, in either
 * case; so does a Rust test's module path (`tests::parser::unwraps`, stored as its suites and its title: libtestLike),
 * and any test's name as the lists show it, its suites or class before its title (`Cart › totals › adds tax`:
 * shownNameLikes). The patterns go to the trigram index as one `ilike any`, which the planner costs as one probe:
 * four ORed ilikes, where it could not tell the project's size, made it filter the project's every test instead
 * (12,000: 330 ms, against 50).
 */
export function testTextMatches(text: string): SQL {
  const rust = libtestLike(text)
  const patterns = [likePattern(text), ...pytestEscapes(text).map(likePattern), ...rust ? [rust] : [], ...shownNameLikes(text)]
  const searched = sql`test_case_search_text(${testCases.title}, ${testCases.suitePath}, ${testCases.file})`
  return patterns.length > 1
    ? sql`${searched} ilike any (array[${sql.join(patterns.map(p => sql`${p}`), sql`, `)}]::text[])`
    : sql`${searched} ilike ${patterns[0]}`
}

/** The cluster's indexed error text holds `text`. */
const clusterTextMatches = (text: string): SQL => clusterTextLike(likePattern(text))

/** The cluster's indexed error text is like `pattern` (likePattern's, as a value or a slot). */
export function clusterTextLike(pattern: string | Placeholder): SQL {
  return sql`cluster_search_text(${failureClusters.title}, ${failureClusters.errorType}, ${failureClusters.sampleMessage}, ${failureClusters.location}, ${failureClusters.sampleStack}) ilike ${pattern}`
}

/** The test case `testCaseId` failed in a live cluster whose error text holds `text`. */
export function failedWithErrorMatching(text: string, testCaseId: SQL | typeof testCases.id | typeof testResults.testCaseId): SQL {
  return sql`${testCaseId} in (select ${clusterTestCases.testCaseId} from ${clusterTestCases}
    join ${failureClusters} on ${failureClusters.id} = ${clusterTestCases.clusterId}
    where ${isNull(failureClusters.mergedIntoId)} and ${clusterTextMatches(text)})`
}

/** The cluster `clusterId` (a result's own, live or merged) has error text holding `text`. */
export function inClusterMatching(text: string, clusterId: typeof testResults.clusterId): SQL {
  return sql`${clusterId} in (select ${failureClusters.id} from ${failureClusters} where ${clusterTextMatches(text)})`
}

/** `column` (an error message) holds `text`. */
export function textMatches(column: SQL | typeof testResults.errorMessage, text: string): SQL {
  return sql`${column} ilike ${likePattern(text)}`
}

const LATEST_STATUS: Record<SearchStatus, SQL> = {
  passed: sql`l.status = 'passed' and not l.flaky`,
  failed: sql`l.status in ('failed', 'errored')`,
  flaky: sql`l.flaky`,
  skipped: sql`l.status = 'skipped'`,
}

interface TestRow {
  id: string
  slug: string
  title: string
  suite_path: string[]
  file: string | null
  variant: string | null
  flaky_label: FlakyLabel
  by_name: boolean
  rank: number
  status: TestStatus | null
  flaky: boolean | null
  run_id: string | null
  branch: string | null
  started_at: string | Date | null
}

/** One of search's lists: its kind, project (or every project in scope), words and filters. */
const searchList = (kind: 'tests' | 'clusters', projectId: string | null, query: SearchQuery) =>
  listOf(`search ${kind}`, projectId, query.q, query.branch, query.status, query.since)

/**
 * Tests whose text or error text holds the words, best match first (their own text before their errors', then
 * trigram word similarity), each with its latest result (on the branch, since the date, when asked). Without a filter
 * on that latest result, only the page's tests have it looked up: a word in every test's name looked up all of them
 * first (4,000 tests, one index probe per results partition each: 134 ms on PGlite; now 80).
 */
async function searchTests(scope: Scope, projectId: string | null, query: SearchQuery): Promise<Page<SearchTestHit>> {
  const list = searchList('tests', projectId, query)
  const after = query.kind === 'tests' ? decodeCursor<number>(query.cursor, 'number', list) : null
  const db = await useReadDb()
  const inProject = (column: typeof testCases.projectId | typeof failureClusters.projectId) =>
    and(inScope(scope, column), projectId ? eq(column, projectId) : undefined)
  const filtered = query.branch || query.status || query.since
  const rows = rowsOf<TestRow>(await db.execute(sql`
    with matched as (
      select ${testCases.id} as id, true as by_name from ${testCases} where ${inProject(testCases.projectId)} and ${testTextMatches(query.q)}
      union all
      select ${clusterTestCases.testCaseId}, false from ${failureClusters}
        join ${clusterTestCases} on ${clusterTestCases.clusterId} = ${failureClusters.id}
      where ${inProject(failureClusters.projectId)} and ${isNull(failureClusters.mergedIntoId)} and ${clusterTextMatches(query.q)}
    ), ranked as (
      select t.id, t.project_id, t.title, t.suite_path, t.file, t.variant, t.flaky_label, m.by_name,
        ((case when m.by_name then 1 else 0 end) + word_similarity(${query.q}, test_case_search_text(t.title, t.suite_path, t.file)))::real as rank
      from (select id, bool_or(by_name) as by_name from matched group by id) m join ${testCases} t on t.id = m.id
    )
    select r.*, p.slug, l.status, l.flaky, l.run_id, l.branch, l.started_at
    from (
      select * from ranked r
      where true ${after ? sql`and (r.rank < ${after.key}::real or (r.rank = ${after.key}::real and r.id > ${after.id}::uuid))` : sql``}
      ${filtered ? sql`` : sql`order by r.rank desc, r.id limit ${query.limit + 1}`}
    ) r join ${projects} p on p.id = r.project_id
    left join lateral (
      select tr.status, tr.flaky, tr.run_id, ru.branch, tr.run_started_at as started_at
      from ${testResults} tr join ${runs} ru on ru.id = tr.run_id
      where tr.test_case_id = r.id
        ${query.branch ? sql`and ru.branch = ${query.branch}` : sql``}
        ${query.since ? sql`and tr.run_started_at >= ${query.since}::timestamptz` : sql``}
      order by tr.run_started_at desc, tr.id desc limit 1
    ) l on true
    where true
      ${filtered ? sql`and l.run_id is not null` : sql``}
      ${query.status ? sql`and ${LATEST_STATUS[query.status]}` : sql``}
    order by r.rank desc, r.id
    limit ${query.limit + 1}`))
  return toPage(rows, query.limit, (r): SearchTestHit => ({
    testCaseId: r.id, project: r.slug, title: r.title, suitePath: r.suite_path, file: r.file, variant: r.variant,
    matchedIn: r.by_name ? 'name' : 'error', flakyLabel: r.flaky_label,
    latest: r.run_id && r.status && r.started_at
      ? { status: r.status, flaky: !!r.flaky, runId: r.run_id, branch: r.branch, startedAt: iso(r.started_at) }
      : null,
  }), r => [Number(r.rank), r.id], list)
}

/** Live failure clusters whose error text holds the words, most recently seen first (on the branch, since the date). */
async function searchClusters(scope: Scope, projectId: string | null, query: SearchQuery): Promise<Page<SearchClusterHit>> {
  const list = searchList('clusters', projectId, query)
  const after = query.kind === 'clusters' ? decodeCursor<string>(query.cursor, 'timestamp', list) : null
  const db = await useReadDb()
  const rows = await db.select({ c: failureClusters, slug: projects.slug }).from(failureClusters)
    .innerJoin(projects, eq(projects.id, failureClusters.projectId))
    .where(and(
      inScope(scope, failureClusters.projectId), projectId ? eq(failureClusters.projectId, projectId) : undefined,
      isNull(failureClusters.mergedIntoId), clusterTextMatches(query.q),
      query.branch ? sql`${query.branch} = any(${failureClusters.branches})` : undefined,
      query.since ? sql`${failureClusters.lastSeenAt} >= ${query.since}::timestamptz` : undefined,
      after ? sql`(${failureClusters.lastSeenAt}, ${failureClusters.id}) < (${after.key}::timestamptz, ${after.id}::uuid)` : undefined,
    ))
    .orderBy(desc(failureClusters.lastSeenAt), desc(failureClusters.id)).limit(query.limit + 1)
  return toPage(rows, query.limit, ({ c, slug }): SearchClusterHit => ({
    clusterId: c.id, project: slug, title: c.title, errorType: c.errorType, category: c.category, status: c.status,
    occurrences: c.occurrences, affectedTests: c.affectedTests, lastSeenAt: c.lastSeenAt.toISOString(), lastSeenRunId: c.lastSeenRunId,
    locator: c.locator, location: c.location,
  }), r => [r.c.lastSeenAt.toISOString(), r.c.id], list)
}

const EMPTY: Page<never> = { items: [], nextCursor: null }

/**
 * One search over test titles, suites, files and error text of every project in scope (or one project): the tests
 * and the failure clusters, each list paged on its own (`kind` names the list a cursor continues).
 */
export async function search(scope: Scope, query: SearchQuery): Promise<SearchResults> {
  const projectId = query.project ? (await requireProject(scope, query.project)).id : null
  const number = query.cursor ? null : runNumberOf(query.q)
  const [runHits, tests, clusters] = await Promise.all([
    number === null ? [] : findRunsByNumber(scope, number, projectId),
    query.kind === 'clusters' || query.q.length < 2 ? EMPTY : searchTests(scope, projectId, query),
    // a status filter is about test results: clusters are failures whatever it says, so they are only left out for passed/skipped
    query.kind === 'tests' || query.q.length < 2 || query.status === 'passed' || query.status === 'skipped'
      ? EMPTY
      : searchClusters(scope, projectId, query),
  ])
  return { runs: runHits, tests, clusters }
}

/** Runs numbered `number` in the projects in scope (or one project), newest first: search for `#1234`. */
async function findRunsByNumber(scope: Scope, number: number, projectId: string | null, db?: Db): Promise<SearchRunHit[]> {
  db ??= await useReadDb()
  const rows = await db.select({
    runId: runs.id, project: projects.slug, number: runs.number, branch: runs.branch, status: runs.status, startedAt: runs.startedAt,
  }).from(runs).innerJoin(projects, eq(projects.id, runs.projectId))
    .where(and(eq(runs.number, number), inScope(scope, runs.projectId), projectId ? eq(runs.projectId, projectId) : undefined))
    .orderBy(desc(runs.startedAt)).limit(20)
  return rows.map(r => ({ ...r, number, startedAt: iso(r.startedAt) }))
}

/**
 * The run numbered `number` in a project (`/projects/:slug/runs/1234`), on the primary when the replica has not
 * replayed it yet (the receipt's link, opened right after the upload). 404 outside the scope or without such a run.
 */
export async function getRunByNumber(scope: Scope, projectSlug: string, number: number): Promise<SearchRunHit> {
  const project = await requireProject(scope, projectSlug)
  const run = await readOrPrimary(async db => (await findRunsByNumber(scope, number, project.id, db))[0])
  if (!run) throw notFound(`No run #${number} in ${project.slug}: runs are numbered from #1 as they are uploaded.`, 'run_not_found')
  return run
}
