import { and, desc, eq, gte, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import { readOrPrimary, useReadDb, schema, type Db } from '../db'
import type { GetRunQuery, ListFailedResultsQuery, ListRunsQuery, RunResultsQuery, RunTrendsQuery } from '#shared/schemas/reads'
import type { JobShards, ShardsIn } from '#shared/types/ingest'
import type { FailedResultView, FailureGroupTest, FailureGroupView, Page, ResultView, RunDetail, RunsPage, RunSummary, RunTrends, UploadView } from '#shared/types/reads'
import { executeKept, runKept, slot, type Has } from '../db/kept'
import { rowsOf } from '../db/sql'
import { byCodePoint, byTestName } from '#shared/test-names'
import { badRequest, notFound } from '../utils/errors'
import { decodeCursor, listOf, toPage } from './pagination'
import { requireProject } from './projects'
import { isQuarantined } from './quarantine'
import { inScope, inScopeSlot, scopeSlot, type Scope } from './scope'
import { inClusterMatching, testTextMatches, textMatches } from './search'

const { runs, projects, testResults, testCases, testAttempts, failureClusters, runUploads, diagnoses, projectDayRollups } = schema

/** Error text in lists stays short; the test case carries the whole message and stack. */
const ERROR_CHARS = 500

/** An error message clipped for a list, with `errorTruncated` set when it was. */
export function clipError(message: string | null): { errorMessage: string | null, errorTruncated?: true } {
  return message && message.length > ERROR_CHARS
    ? { errorMessage: `${message.slice(0, ERROR_CHARS)}…`, errorTruncated: true }
    : { errorMessage: message }
}

/** The tests a failure group lists; `failures` counts them all. */
const GROUP_TESTS = 8

type RunRow = typeof runs.$inferSelect

export function toRunSummary(r: RunRow, project: string): RunSummary {
  return {
    id: r.id, number: r.number!, project, status: r.status, branch: r.branch, commit: r.commitSha, commitMessage: r.commitMessage,
    buildUrl: r.buildUrl,
    environment: r.environment, job: r.job, format: r.format, startedAt: r.startedAt.toISOString(), durationMs: r.durationMs,
    infra: r.infra,
    counts: { tests: r.total, passed: r.passed, failed: r.failed, errored: r.errored, skipped: r.skipped, flaky: r.flaky },
  }
}

/** A run as recentRunsOf spells it: RunSummary's fields in order (the project's slug aside), startedAt already ISO. */
type RunTuple = [id: string, number: number, status: RunRow['status'], branch: string | null, commit: string | null,
  commitMessage: string | null, buildUrl: string | null, environment: string | null, format: RunRow['format'], startedAt: string,
  durationMs: number | null, infra: boolean, tests: number, passed: number, failed: number, errored: number, skipped: number,
  flaky: number, job: string | null]

/**
 * The `limit` latest runs of the project `projectId` (an SQL expression) as one JSON value, newest first: a column of a
 * read that has the project already, so the runs cost no statement of their own. Read back with fromRunTuples.
 */
export function recentRunsOf(projectId: SQL, limit: SQL): SQL<RunTuple[]> {
  return sql<RunTuple[]>`(select coalesce(json_agg(json_build_array(r.id, r.number, r.status, r.branch, r.commit_sha,
      r.commit_message, r.build_url, r.environment, r.format,
      to_char(r.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), r.duration_ms, r.infra, r.total, r.passed,
      r.failed, r.errored, r.skipped, r.flaky, r.job) order by r.started_at desc, r.id desc), '[]'::json)
    from (select * from ${runs} where ${runs.projectId} = ${projectId} order by ${runs.startedAt} desc, ${runs.id} desc limit ${limit}) r)`
}

/** recentRunsOf's JSON as RunSummary, exactly as toRunSummary gives the same rows. */
export function fromRunTuples(tuples: RunTuple[] | string, project: string): RunSummary[] {
  return (typeof tuples === 'string' ? JSON.parse(tuples) as RunTuple[] : tuples).map(t => ({
    id: t[0], number: t[1], project, status: t[2], branch: t[3], commit: t[4], commitMessage: t[5], buildUrl: t[6],
    environment: t[7], job: t[18], format: t[8], startedAt: t[9], durationMs: t[10], infra: t[11],
    counts: { tests: t[12], passed: t[13], failed: t[14], errored: t[15], skipped: t[16], flaky: t[17] },
  }))
}

/**
 * Runs of one project per UTC day and branch over the last `days` days (today included), for trend charts: read from
 * the day rollups kept at ingest (./rollups.ts), which retention keeps, so trends outlive the runs they count.
 */
export async function getRunTrends(scope: Scope, projectSlug: string, query: RunTrendsQuery): Promise<RunTrends> {
  const project = await requireProject(scope, projectSlug)
  const since = new Date(Date.now() - (query.days - 1) * 86_400_000)
  since.setUTCHours(0, 0, 0, 0)
  const db = await useReadDb()
  const d = projectDayRollups
  const rows = await db.select({
    day: sql<string>`to_char(${d.day}::date, 'YYYY-MM-DD')`,
    branch: sql<string | null>`nullif(${d.branch}, '')`,
    runs: d.runs,
    passed: d.passed,
    executed: d.executed,
    durationMs: sql<number | null>`case when ${d.timedRuns} > 0 then round(${d.durationMs}::numeric / ${d.timedRuns})::int end`,
  }).from(d)
    .where(and(eq(d.projectId, project.id), gte(d.day, since.toISOString().slice(0, 10)), sql`${d.runs} > 0`))
    .orderBy(d.day, d.branch)
  return { since: since.toISOString(), days: query.days, points: rows }
}

/** Runs of one project, newest first, filtered by branch, status and time. */
export async function listRuns(
  scope: Scope,
  projectSlug: string,
  query: Partial<ListRunsQuery> & { limit: number },
): Promise<RunsPage> {
  // both are ISO strings in UTC (the schema writes them so): a window that ends before it starts is a mistake, not an empty list
  if (query.since && query.until && query.since > query.until) {
    throw badRequest(`since (${query.since}) is after until (${query.until}): no run starts in between. Swap them.`, 'invalid_input')
  }
  const list = listOf('runs', projectSlug, query.branch, query.status, query.since, query.until)
  const after = decodeCursor<string>(query.cursor, 'timestamp', list)
  const db = await useReadDb()
  // the project is found in the same query; only an empty page asks whether it exists (404) or has no such runs
  const values = {
    ...scopeSlot(scope), slug: projectSlug, branch: query.branch, status: query.status,
    since: query.since && new Date(query.since).toISOString(), until: query.until && new Date(query.until).toISOString(),
    afterKey: after?.key, afterId: after?.id, limit: query.limit + 1,
  }
  // the project's runs that match the filters (a slot each), before the cursor's
  const matching = (has: Has) => [
    sql`${runs.projectId} = (select ${projects.id} from ${projects} where ${projects.slug} = ${slot('slug')} and ${inScopeSlot(has, projects.id)})`,
    has('branch') ? eq(runs.branch, slot('branch')) : undefined,
    has('status') ? eq(runs.status, slot('status')) : undefined,
    has('since') ? sql`${runs.startedAt} >= ${slot('since')}::timestamptz` : undefined,
    has('until') ? sql`${runs.startedAt} <= ${slot('until')}::timestamptz` : undefined,
  ]
  const filtered = !!(query.branch || query.status || query.since || query.until)
  const [rows, counted] = await Promise.all([
    runKept(db, 'listRuns', values, has => db.select().from(runs).where(and(...matching(has),
      has('afterKey') ? sql`(${runs.startedAt}, ${runs.id}) < (${slot('afterKey')}::timestamptz, ${slot('afterId')}::uuid)` : undefined,
    )).orderBy(desc(runs.startedAt), desc(runs.id)).limit(slot('limit'))),
    // a filtered list says how many runs match, counted up to MATCHING_COUNTED
    filtered
      ? runKept(db, 'countRuns', { ...values, afterKey: undefined, afterId: undefined, limit: MATCHING_COUNTED + 1 }, has => db
          .select({ n: sql<number>`count(*)::int` })
          .from(db.select({ one: sql`1` }).from(runs).where(and(...matching(has))).limit(slot('limit')).as('m')))
      : undefined,
  ])
  if (!rows.length) await requireProject(scope, projectSlug)
  const page = toPage(rows, query.limit, r => toRunSummary(r, projectSlug), r => [r.startedAt.toISOString(), r.id], list)
  const n = counted?.[0]?.n
  if (n === undefined) return page
  return { ...page, matching: Math.min(n, MATCHING_COUNTED), ...(n > MATCHING_COUNTED ? { matchingCapped: true as const } : {}) }
}

/**
 * Runs a filtered list counts at most: past it the list says "1,000+". The count walks the matching runs: 10,000 of
 * 100,000 runs took 11–14 ms on Postgres (status, or branch and status), 1,000 about a tenth, beside a page read of ~1 ms.
 */
const MATCHING_COUNTED = 1000

/** A run the caller may see, with its project's slug; a 404 otherwise. */
export async function findRun(scope: Scope, runId: string) {
  const db = await useReadDb()
  const [row] = await db.select({ run: runs, slug: projects.slug }).from(runs).innerJoin(projects, eq(projects.id, runs.projectId))
    .where(and(eq(runs.id, runId), inScope(scope, runs.projectId))).limit(1)
  if (!row) throw notFound('No run with this id visible to you.', 'run_not_found')
  return row
}

/**
 * "The run before" the outer `runs` row, one rule wherever it is said (the run page, compare, MCP get_run, the
 * run.recovered webhook): the latest earlier run of its project on the branch `on` picks, of the same CI job and
 * environment (a project's unit and e2e jobs each upload their own runs, and a matrix leg uploaded with --environment is
 * another leg's of the same commit: each is compared with its own), runs that stored no test left out. Walks
 * runs_project_branch_env_started_idx.
 */
const runBeforeOn = (on: SQL) => sql`(select p.id from ${runs} p where p.project_id = ${runs.projectId} and ${on}
    and coalesce(p.environment, '') = coalesce(${runs.environment}, '') and coalesce(p.job, '') = coalesce(${runs.job}, '')
    and p.status <> 'empty'
    and (p.started_at, p.id) < (${runs.startedAt}, ${runs.id}) order by p.started_at desc, p.id desc limit 1)`

/** The id of the run before the outer `runs` row on its own branch (null branch: runs without one). */
export const PREVIOUS_ON_BRANCH = sql<string | null>`coalesce(${runBeforeOn(sql`p.branch = ${runs.branch}`)},
  ${runBeforeOn(sql`${runs.branch} is null and p.branch is null`)})`

/** The default branch's run before a run of another branch (what it is compared with when it is its branch's first). */
const PREVIOUS_ON_DEFAULT = sql<string | null>`${runBeforeOn(sql`${runs.branch} is distinct from ${projects.defaultBranch} and p.branch = ${projects.defaultBranch}`)}`

/** The run before a run (PREVIOUS_ON_BRANCH, else PREVIOUS_ON_DEFAULT) and which it is; null when there is none. */
export async function previousRunOf(runId: string): Promise<{ run: RunRow, reason: 'previous' | 'default_branch' } | null> {
  const db = await useReadDb()
  const [ids] = await db.select({ onBranch: PREVIOUS_ON_BRANCH, onDefault: PREVIOUS_ON_DEFAULT })
    .from(runs).innerJoin(projects, eq(projects.id, runs.projectId)).where(eq(runs.id, runId))
  const id = ids?.onBranch ?? ids?.onDefault
  if (!id) return null
  const [run] = await db.select().from(runs).where(eq(runs.id, id))
  return run ? { run, reason: ids!.onBranch ? 'previous' : 'default_branch' } : null
}

/**
 * The uploads of the outer `runs` row, oldest first, as the run page lists them (UploadView): a column of the run's
 * own read, the notes' lists counted in SQL so they are not sent; an upload's outage (on its first file) is null
 * where it was none, and left out of the view (uploadViews).
 */
const RUN_UPLOADS = sql<UploadRow[] | string>`(select coalesce(json_agg(json_build_object('upload', u.upload_id, 'fileName', u.file_name, 'format', u.format,
    'results', u.results, 'bytes', u.bytes,
    'uploadedAt', to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'shard', case when u.shard_index is not null then u.shard_index || '/' || u.shard_total end, 'job', u.job,
    'duplicates', coalesce(jsonb_array_length(u.notes->'duplicates'), 0),
    'rejected', coalesce(jsonb_array_length(u.notes->'rejected'), 0),
    'newClusters', coalesce(jsonb_array_length(u.notes->'newClusters'), 0),
    'newlyFlaky', coalesce(jsonb_array_length(u.notes->'newlyFlaky'), 0),
    'outage', u.notes->'outage') order by u.created_at, u.upload_id, u.id), '[]'::json)
  from ${runUploads} u where u.run_id = ${runs.id})`

type UploadRow = Omit<UploadView, 'outage'> & { outage: UploadView['outage'] | null }

/** RUN_UPLOADS' rows as the run's read gives them: `outage` only on an upload that was one. */
const uploadViews = (agg: UploadRow[] | string): UploadView[] =>
  (typeof agg === 'string' ? JSON.parse(agg) as UploadRow[] : agg).map(({ outage, ...u }) => outage ? { ...u, outage } : u)

/** What runShards reads: each job's largest shard count declared and its shards in (null when no upload said one). */
type ShardRows = { job: string | null, expected: number, indexes: number[] }[] | null

/**
 * The shards a run's uploads declared, per job (the receipt's statement and the run's read): each job's largest count
 * declared and each of its shards in once. Jobs that share a run key number their shards each their own way (e2e 1/3,
 * api 1/3): counted together, the run read whole with shards of both still running. `runId`: a column of the outer
 * query, or the id.
 */
export const runShards = (runId: SQLWrapper | string) => sql<ShardRows | string>`(select json_agg(json_build_object('job', j.job, 'expected', j.expected, 'indexes', j.indexes))
  from (select u.job, max(u.shard_total) as expected, array_agg(distinct u.shard_index) as indexes
    from ${runUploads} u where u.run_id = ${runId} and u.shard_total is not null group by u.job) j)`

/**
 * The receipt's and the run page's `shards` from runShards' rows: a job's shard past its largest count declared is not
 * counted; the run is whole when every job is. The breakdown by job is there once an upload named its job.
 */
export function shardsIn(agg: ShardRows | string): ShardsIn | null {
  const rows = typeof agg === 'string' ? JSON.parse(agg) as ShardRows : agg
  if (!rows?.length) return null
  const whole = (j: JobShards) => j.received === j.expected ? 1 : 0
  // a job with shards missing before one that has them all; then the uploads that named no job, then by name
  const jobs = rows.map(({ job, expected, indexes }): JobShards => {
    const got = new Set(indexes.filter(i => i <= expected))
    const missing: number[] = []
    for (let i = 1; i <= expected && missing.length < MISSING_SHARDS_LISTED; i++) if (!got.has(i)) missing.push(i)
    return { job, expected, received: got.size, missing }
  }).sort((a, b) => whole(a) - whole(b) || (a.job === b.job ? 0 : a.job === null ? -1 : b.job === null ? 1 : a.job < b.job ? -1 : 1))
  return {
    expected: jobs.reduce((n, j) => n + j.expected, 0),
    received: jobs.reduce((n, j) => n + j.received, 0),
    missing: jobs.flatMap(j => j.missing.map(i => j.job === null ? i : `${j.job} ${i}/${j.expected}`)).slice(0, MISSING_SHARDS_LISTED),
    ...jobs.some(j => j.job !== null) ? { jobs: jobs.slice(0, MISSING_SHARDS_LISTED) } : {},
  }
}

/** Missing shards a receipt names at most, and jobs it counts apart. */
const MISSING_SHARDS_LISTED = 20

/** A retried result's attempts in order, read with the result (null for a single attempt). */
const ATTEMPT_ROWS = sql<{ attempt: number, status: ResultView['status'], durationMs: number | null, errorMessage: string | null }[] | null>`
  case when ${testResults.attemptCount} > 1 then (select json_agg(json_build_object('attempt', a.attempt, 'status', a.status,
    'durationMs', a.duration_ms, 'errorMessage', a.error_message) order by a.attempt)
    from ${testAttempts} a where a.result_id = ${testResults.id}) end`

/** A failed result, written as literals so the planner can use the partial indexes that carry the same predicate. */
export const FAILED_RESULT = sql`${testResults.status} in ('failed', 'errored')`

const RESULT_FILTER: Record<GetRunQuery['status'], SQL | undefined> = {
  failed: FAILED_RESULT,
  flaky: sql`${testResults.flaky}`,
  passed: sql`${testResults.status} = 'passed'`,
  skipped: sql`${testResults.status} = 'skipped'`,
  all: undefined,
}

/**
 * Why a skipped result was skipped, as its report said (JUnit's <skipped message>, @Disabled's reason, Playwright's
 * test.skip(…, reason)): the first skip-like annotation with a description; null for any other result.
 */
export const SKIP_REASON = sql<string | null>`case when ${testResults.status} = 'skipped' then (select a->>'description'
  from jsonb_array_elements(${testResults.annotations}) a
  where a->>'type' in ('skip', 'skipped', 'fixme', 'xfail', 'disabled', 'ignored') and a->>'description' <> '' limit 1) end`

const resultColumns = {
  id: testResults.id, testCaseId: testResults.testCaseId, title: testCases.title, suitePath: testCases.suitePath, file: testCases.file,
  variant: testCases.variant, status: testResults.status, flaky: testResults.flaky, attempts: testResults.attemptCount,
  durationMs: testResults.durationMs, errorMessage: testResults.errorMessage, clusterId: testResults.clusterId, owners: testCases.owners,
  quarantined: isQuarantined(sql`${testCases.id}`), skipReason: SKIP_REASON,
}
type ResultRow = Omit<ResultView, 'knownFailure' | 'attemptDetails' | 'errorTruncated' | 'quarantined' | 'skipReason' | 'outage'>
  & { quarantined: boolean, skipReason: string | null, outage?: boolean }
function toResultView({ errorMessage, clusterId, quarantined, skipReason, outage, ...r }: ResultRow): ResultView {
  return {
    ...r, ...clipError(errorMessage), clusterId, ...(quarantined ? { quarantined: true as const } : {}), ...withSkipReason(skipReason),
    ...(outage ? { outage: true as const } : {}),
  }
}

/** A result's skip reason as the wire carries it: only when there is one. */
export const withSkipReason = (skipReason: string | null): { skipReason?: string } => skipReason ? { skipReason } : {}

/**
 * Whether a failure was already failing on the project's default branch before its run ("known"; else "new"), as
 * its upload judged it when storing it (services/run-results.ts alreadyFailingOf; migration 0027 judged the failures
 * stored before): read, not judged again, so the run page, get_run and the receipt always agree.
 */
export const KNOWN_FAILURE = sql<boolean>`coalesce(${testResults.knownFailure}, false)`

/** Whether the default branch has a run before the outer `runs` row: what a failure is judged known against. */
const HAS_BASE = sql<boolean>`exists (select 1 from ${runs} b join ${projects} bp on bp.id = b.project_id
  where b.project_id = ${runs.projectId} and b.branch = bp.default_branch and (b.started_at, b.id) < (${runs.startedAt}, ${runs.id}))`

interface GroupRow {
  result_id: string
  test_case_id: string
  title: string
  suite_path: string[]
  variant: string | null
  known: boolean
  quarantined: boolean
  retry_pass: boolean
  outage: boolean
  cluster_id: string | null
  cluster_title: string | null
  category: FailureGroupView['category']
  location: string | null
  first_seen_run_id: string | null
  first_seen_at: Date | string | null
  cluster_status: FailureGroupView['status']
  status_note: string | null
  diagnosis: string | null
  failures: number
  new_failures: number
  retry_passes: number
  outages: number
}

/** A diagnosis summary as a group shows it: its first line, clipped. */
const DIAGNOSIS_CHARS = 200
const oneLine = (text: string | null) => {
  const line = text?.split('\n').find(l => l.trim())?.trim() ?? null
  return line && line.length > DIAGNOSIS_CHARS ? `${line.slice(0, DIAGNOSIS_CHARS - 1)}…` : line
}

/**
 * The failures of a run by cluster, biggest group first, each with its counts, its first tests (new ones first, then
 * passes on retry), where the cause started, its location and the latest diagnosis summary: one query, window
 * functions over the run's failing results and its retry passes whose failed attempt has a cluster. `known` is
 * KNOWN_FAILURE's. `db` is the handle or, at ingest, the upload's transaction.
 */
export async function failureGroups(db: Pick<Db, 'execute'>, runId: string): Promise<FailureGroupView[]> {
  return toFailureGroups(rowsOf<GroupRow>(await db.execute(failureGroupsQuery(sql`${runId}::uuid`, sql`true`))), runId)
}

/**
 * failureGroups' statement, for the run `runId` (an SQL uuid), its results filtered by `visible`. The run is named in
 * each arm of the or, so each reads its own index (the run's failures; its passes on retry with a cause), and its start
 * time prunes the partitions. Only the tests a group lists are looked up (a run of 221 failures: 9 lookups, not 221).
 */
function failureGroupsQuery(runId: SQL, visible: SQL): SQL {
  return sql`
    select g.*, t.title, t.suite_path, t.variant, ${isQuarantined(sql`t.id`)} as quarantined, c.title as cluster_title, c.category, c.location, c.first_seen_run_id, c.first_seen_at,
      c.status as cluster_status, c.status_note,
      (select d.summary from ${diagnoses} d where d.cluster_id = g.cluster_id order by d.version desc limit 1) as diagnosis
    from (
      select f.*, row_number() over (partition by f.cluster_id order by f.retry_pass, f.known, f.result_id) as rank,
        (count(*) filter (where not f.retry_pass) over (partition by f.cluster_id))::int as failures,
        (count(*) filter (where not f.known and not f.retry_pass) over (partition by f.cluster_id))::int as new_failures,
        (count(*) filter (where f.retry_pass) over (partition by f.cluster_id))::int as retry_passes,
        (count(*) filter (where f.outage) over (partition by f.cluster_id))::int as outages
      from (
        select ${testResults.id} as result_id, ${testResults.testCaseId} as test_case_id, ${testResults.clusterId} as cluster_id,
          not (${FAILED_RESULT}) as retry_pass, ${testResults.infra} as outage,
          (${FAILED_RESULT}) and ${KNOWN_FAILURE} as known
        from ${testResults}
        where ${testResults.runId} = ${runId} and ${visible}
          and ${testResults.runStartedAt} = (select ${runs.startedAt} from ${runs} where ${runs.id} = ${runId})
          and ((${testResults.runId} = ${runId} and ${FAILED_RESULT})
            or (${testResults.runId} = ${runId} and ${testResults.flaky} and ${testResults.clusterId} is not null))
      ) f
    ) g join ${testCases} t on t.id = g.test_case_id left join ${failureClusters} c on c.id = g.cluster_id
    where g.rank <= ${sql.raw(String(GROUP_TESTS))}
    order by g.failures desc, g.retry_passes desc, g.cluster_id nulls last, g.rank`
}

/** Where a listed test stands in its group: new failures, then known ones, then passes on retry (the rank's order). */
const standing = (t: FailureGroupTest) => t.flaky ? 2 : t.knownFailure ? 1 : 0

/**
 * A group's listed tests in the order they are read (the run page, the receipt and CLI comment, get_run): by standing,
 * then by name (`checkout scenario 2` before `checkout scenario 5`, not in the order the report had them), one test's
 * variants in turn.
 */
const listedOrder = (a: FailureGroupTest, b: FailureGroupTest) => standing(a) - standing(b) || byTestName(a, b)
  || byCodePoint(a.variant ?? '', b.variant ?? '') || byCodePoint(a.resultId, b.resultId)

/** failureGroups' rows of the run `runId`, grouped. */
function toFailureGroups(rows: GroupRow[], runId: string): FailureGroupView[] {
  const groups = new Map<string | null, FailureGroupView>()
  for (const r of rows) {
    let group = groups.get(r.cluster_id)
    if (!group) {
      group = {
        clusterId: r.cluster_id, title: r.cluster_title, category: r.category, failures: r.failures, newFailures: r.new_failures,
        flaky: r.retry_passes, outage: r.outages, location: r.location, firstSeenRunId: r.first_seen_run_id,
        firstSeenAt: r.first_seen_at ? new Date(r.first_seen_at).toISOString() : null,
        newCause: r.cluster_id !== null && r.first_seen_run_id === runId, diagnosis: oneLine(r.diagnosis),
        status: r.cluster_status, statusNote: r.status_note, tests: [],
      }
      groups.set(r.cluster_id, group)
    }
    group.tests.push({
      resultId: r.result_id, testCaseId: r.test_case_id, title: r.title, suitePath: r.suite_path, variant: r.variant,
      knownFailure: r.known, ...(r.outage ? { outage: true as const } : {}),
      ...(r.retry_pass ? { flaky: true as const } : {}), ...(r.quarantined ? { quarantined: true as const } : {}),
    })
  }
  for (const g of groups.values()) g.tests.sort(listedOrder)
  return [...groups.values()]
}

/**
 * One run: summary, failures grouped by cluster with what is new on the default branch (KNOWN_FAILURE), and a page
 * of its results (failed by default; status null leaves the page empty without reading it).
 */
export async function getRun(scope: Scope, runId: string, query: RunResultsQuery): Promise<RunDetail> {
  const after = decodeCursor<string>(query.cursor, 'string', runResultsList(runId, query))
  // a run the replica has not replayed yet (a receipt's link, opened right after its upload) is read on the primary
  const found = await readOrPrimary(db => readRun(db, scope, runId, query, after))
  if (!found) throw notFound('No run with this id visible to you.', 'run_not_found')
  return found
}

/** A run's results of one filter: what a cursor of getRun's result rows continues. */
const runResultsList = (runId: string, query: RunResultsQuery) => listOf('run results', runId, query.status)

/**
 * getRun's three statements, sent together (one round trip instead of two) and kept (../db/kept.ts): the run with its
 * project's slug and repository, the id of the run before it on its branch and its uploads; a page of its results;
 * its failure groups. Each checks the scope in SQL; the last two find the run's start time and previous run by
 * subquery. Undefined when no such run is visible.
 */
async function readRun(
  db: Db, scope: Scope, runId: string, query: RunResultsQuery, after: { id: string } | null,
): Promise<RunDetail | undefined> {
  const id = sql`${slot('runId')}::uuid`
  const values = { ...scopeSlot(scope), runId, after: after?.id, limit: query.limit + 1 }
  const { status } = query
  const [[row], rows, groups] = await Promise.all([
    runKept(db, 'run', values, has => db.select({
      run: runs, slug: projects.slug, previousId: PREVIOUS_ON_BRANCH, previousOnDefault: PREVIOUS_ON_DEFAULT, hasBase: HAS_BASE,
      url: projects.repositoryUrl,
      defaultBranch: projects.defaultBranch,
      uploads: RUN_UPLOADS,
      shards: runShards(runs.id),
    }).from(runs).innerJoin(projects, eq(projects.id, runs.projectId))
      .where(and(sql`${runs.id} = ${id}`, inScopeSlot(has, runs.projectId)))),
    status === null
      ? []
      : runKept(db, `runResults:${status}`, values, has => db.select({
          // a run's rows say which failed in an outage of their shard or job (list_failed_cases' rows, kept small, do not)
          ...resultColumns, knownFailure: KNOWN_FAILURE, attemptRows: ATTEMPT_ROWS, outage: testResults.infra,
        }).from(testResults).innerJoin(testCases, eq(testCases.id, testResults.testCaseId))
          .where(and(
            // run_started_at: only the partition of the run's month is searched (pruned as the statement starts)
            sql`${testResults.runId} = ${id}`, sql`${testResults.runStartedAt} = (select ${runs.startedAt} from ${runs} where ${runs.id} = ${id})`,
            inScopeSlot(has, testResults.projectId), RESULT_FILTER[status],
            has('after') ? sql`${testResults.id} > ${slot('after')}::uuid` : undefined,
          ))
          .orderBy(testResults.id).limit(slot('limit'))),
    executeKept(db, 'runFailureGroups', values, has =>
      failureGroupsQuery(id, inScopeSlot(has, testResults.projectId)))
      .then(result => toFailureGroups(rowsOf<GroupRow>(result), runId)),
  ])
  if (!row) return undefined
  const { run, slug, previousId, previousOnDefault, hasBase } = row
  const results = toPage(rows, query.limit, ({ knownFailure, attemptRows, ...r }) => ({
    ...toResultView(r),
    ...(r.status === 'failed' || r.status === 'errored' ? { knownFailure } : {}),
    ...(r.attempts > 1
      ? { attemptDetails: (attemptRows ?? [])
          .map(a => ({ attempt: a.attempt, status: a.status, durationMs: a.durationMs, ...clipError(a.errorMessage) })) }
      : {}),
  }), r => ['', r.id], runResultsList(runId, query))
  const newFailures = groups.reduce((n, g) => n + g.newFailures, 0)
  return {
    ...toRunSummary(run, slug), repository: row.url ? { url: row.url, defaultBranch: row.defaultBranch } : null,
    errors: run.errors.map(e => e.message), failureGroups: groups,
    novelty: hasBase
      ? { new: newFailures, known: groups.reduce((n, g) => n + g.failures, 0) - newFailures, defaultBranch: row.defaultBranch }
      : null,
    previousRunId: previousId ?? previousOnDefault ?? null,
    previousRunReason: previousId ? 'previous' : previousOnDefault ? 'default_branch' : null,
    uploads: uploadViews(row.uploads),
    shards: shardsIn(row.shards),
    results,
  }
}

/** Failed results (failed or errored, never a pass on retry) across the recent runs of a project, newest first. */
export async function listFailedResults(scope: Scope, projectSlug: string, query: ListFailedResultsQuery): Promise<Page<FailedResultView>> {
  const project = await requireProject(scope, projectSlug)
  const list = listOf('failed results', projectSlug, query.query, query.branch, query.since)
  const after = decodeCursor<string>(query.cursor, 'timestamp', list)
  const db = await useReadDb()
  const rows = await db.select({
    ...resultColumns, knownFailure: KNOWN_FAILURE, runId: testResults.runId, branch: runs.branch, commit: runs.commitSha,
    startedAt: testResults.runStartedAt,
  }).from(testResults).innerJoin(testCases, eq(testCases.id, testResults.testCaseId)).innerJoin(runs, eq(runs.id, testResults.runId))
    .where(and(
      eq(testResults.projectId, project.id), RESULT_FILTER.failed,
      query.branch ? eq(runs.branch, query.branch) : undefined,
      query.since ? gte(testResults.runStartedAt, new Date(query.since)) : undefined,
      query.query
        // the result itself matches (its test, its error or its cause), not every failure of a test that once did
        ? sql`(${testTextMatches(query.query)} or ${textMatches(testResults.errorMessage, query.query)}
          or ${inClusterMatching(query.query, testResults.clusterId)})`
        : undefined,
      after ? sql`(${testResults.runStartedAt}, ${testResults.id}) < (${after.key}::timestamptz, ${after.id}::uuid)` : undefined,
    ))
    .orderBy(desc(testResults.runStartedAt), desc(testResults.id)).limit(query.limit + 1)
  return toPage(
    rows,
    query.limit,
    ({ runId, branch, commit, startedAt, knownFailure, ...r }) => ({
      ...toResultView(r), knownFailure, runId, branch, commit, startedAt: startedAt.toISOString(),
    }),
    r => [r.startedAt.toISOString(), r.id],
    list,
  )
}
