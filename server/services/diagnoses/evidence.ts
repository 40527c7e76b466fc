import { sql } from 'drizzle-orm'
import { useDb, type Db } from '../../db'
import { iso, isoOrNull, rowsOf, plainArray } from '../../db/sql'
import {
  assembleClusterContext, pickRepresentatives, signatureSimilarity, type ClusterEvidence, type EvidenceResult, type EvidenceStep,
} from '../../analysis/context'
import { jvmBuildOf } from '../../analysis/jvm-build'
import type { ClusterStatus, FailureCategory, FlakyLabel, TestStatus } from '#shared/constants'
import type { ContextQuery } from '#shared/schemas/diagnosis'
import type { ClusterContext, ContextRunRef, JvmBuild } from '#shared/types/diagnosis'
import { jvmClassOf, shownSuites } from '#shared/test-names'
import { useConfig } from '../../utils/config'
import { requireCluster, type ClusterWithProject } from '../clusters'
import type { LlmConfig } from '../llm'
import { loadLlmConfig } from '../llm/settings'
import type { Scope } from '../scope'

/**
 * The evidence behind a diagnosis: one cluster's representative failures, affected tests, run history, first
 * failure and similar resolved clusters, read with a handful of indexed queries and assembled into the context
 * bundle (server/analysis/context.ts) that the rule engine, the LLM and `get_cluster_context` receive.
 */

/** Runs of the branch looked at, newest first, for the last one where the cluster's tests passed. */
const GREEN_WINDOW = 200

/**
 * A test as evidence names it: its suites (without a framework's default root, shownSuites) and its title as stored,
 * which the reproduce command is written from (pytest selects a test by its escaped id, a JVM class by its binary name).
 */
const testLabel = (suitePath: string[] | null, title: string) => [...shownSuites(suitePath ?? []), title].join(' › ')

interface RunRefRow {
  id: string
  branch: string | null
  commit_sha: string | null
  commit_message: string | null
  started_at: string | Date
  build_url: string | null
}

const runRef = (r: RunRefRow): ContextRunRef => ({
  runId: r.id, branch: r.branch, commit: r.commit_sha, commitMessage: r.commit_message, startedAt: iso(r.started_at), buildUrl: r.build_url,
})

interface SampleRow {
  id: string
  run_id: string
  test_case_id: string
  status: TestStatus
  attempt_count: number
  run_started_at: string | Date
  error_message: string | null
  error_stack: string | null
  stdout: string | null
  stderr: string | null
  steps: EvidenceStep[] | null
  title: string
  suite_path: string[] | null
  file: string | null
  variant: string | null
  branch: string | null
  commit_sha: string | null
  report_files: string[] | null
  properties: Record<string, string> | null
}

/** The JVM build that ran a sample, when it is a JVM test (its last suite a class) and its run says which. */
function buildOf(r: SampleRow): JvmBuild | null {
  const cls = jvmClassOf({ suitePath: r.suite_path ?? [], title: r.title })
  return cls
    ? jvmBuildOf({ reportFiles: r.report_files ?? [], properties: r.properties, stack: r.error_stack, binaryName: cls.binaryName })
    : null
}

interface RunStatRow {
  id: string
  started_at: string | Date
  branch: string | null
  commit_sha: string | null
  total: number
  skipped: number
  failed: number
  errored: number
  infra: boolean
  hits: number
  /** The cluster's results in the run were an outage's (cluster_runs.infra): the run's, or their shard's or job's. */
  outage: boolean
  total_runs: number
  infra_hits: number | null
}

interface AffectedRow {
  id: string
  title: string
  suite_path: string[] | null
  file: string | null
  variant: string | null
  flaky_label: FlakyLabel
  flaky_score: number
  flaky_confidence: number
  failed_runs: number
  flaky_runs: number
  last_flake_at: string | Date | null
  n: number
  last: string | Date
  total: number
}

interface SimilarRow {
  id: string
  title: string
  error_type: string
  locator: string | null
  status: ClusterStatus
  status_note: string | null
  last_seen_at: string | Date
  summary: string | null
}

/** A few representative failures (distinct tests and error variants, the newest and the very first), whole. */
async function loadSamples(db: Db, clusterId: string): Promise<EvidenceResult[]> {
  const candidates = rowsOf<{ id: string, test_case_id: string, message: string | null, at: string | Date }>(await db.execute(sql`
    (select id, test_case_id, left(error_message, 400) as message, run_started_at as at from test_results
      where cluster_id = ${clusterId} order by run_started_at desc, id desc limit 40)
    union all
    (select id, test_case_id, left(error_message, 400), run_started_at from test_results
      where cluster_id = ${clusterId} order by run_started_at asc, id asc limit 1)`))
  const picked = pickRepresentatives(candidates.map(r => ({
    resultId: r.id, testCaseId: r.test_case_id, message: r.message, at: iso(r.at),
  })))
  if (!picked.length) return []
  const rows = rowsOf<SampleRow>(await db.execute(sql`
    select r.id, r.run_id, r.test_case_id, r.status, r.attempt_count, r.run_started_at, left(r.error_message, 20000) as error_message,
      left(r.error_stack, 20000) as error_stack, right(r.stdout, 200000) as stdout, right(r.stderr, 200000) as stderr, r.steps,
      tc.title, tc.suite_path, tc.file, tc.variant, ru.branch, ru.commit_sha,
      (select array_agg(u.file_name order by u.created_at) from run_uploads u where u.run_id = r.run_id) as report_files,
      (select p.properties from result_properties p where p.project_id = r.project_id and p.id = r.properties_id) as properties
    from test_results r join test_cases tc on tc.id = r.test_case_id join runs ru on ru.id = r.run_id
    where r.id = any(${plainArray(picked)}::uuid[])`))
  return picked.flatMap((rid) => {
    const r = rows.find(x => x.id === rid)
    return r
      ? [{
          resultId: r.id, runId: r.run_id, testCaseId: r.test_case_id, test: testLabel(r.suite_path, r.title), file: r.file,
          variant: r.variant, branch: r.branch, commit: r.commit_sha, at: iso(r.run_started_at), status: r.status,
          attempts: r.attempt_count,
          errorMessage: r.error_message, errorStack: r.error_stack, stdout: r.stdout, stderr: r.stderr, steps: r.steps,
          build: buildOf(r),
        }]
      : []
  })
}

/** The tests it hits, most often first: the rollup, not the results, so thousands of failures cost the same as three. */
async function loadAffectedTests(db: Db, clusterId: string): Promise<AffectedRow[]> {
  return rowsOf<AffectedRow>(await db.execute(sql`
    select tc.id, tc.title, tc.suite_path, tc.file, tc.variant, tc.flaky_label, tc.flaky_score, tc.flaky_confidence, tc.failed_runs,
      tc.flaky_runs, tc.last_flake_at, ct.occurrences as n, ct.last_seen_at as last, count(*) over ()::int as total
    from cluster_test_cases ct join test_cases tc on tc.id = ct.test_case_id
    where ct.cluster_id = ${clusterId}
    order by ct.occurrences desc, ct.last_seen_at desc, tc.id limit 20`))
}

/** The cluster's rows of the per-run rollup (cluster_runs, kept at ingest): its runs without reading its results. */
const ofCluster = (c: ClusterWithProject) => sql`project_id = ${c.projectId}::uuid and cluster_id = ${c.id}::uuid`

/**
 * The newest runs with it, and the newest where its results were an outage's (most of the suite failed, or their shard
 * or job did by itself: they decide "infrastructure"), with how many runs it has and how many of its results are
 * an outage's: from the rollup, so a cluster with tens of
 * thousands of results costs a walk of its runs' rows, not of its results.
 */
async function loadRunStats(db: Db, c: ClusterWithProject): Promise<RunStatRow[]> {
  return rowsOf<RunStatRow>(await db.execute(sql`
    with t as (
      select count(*)::int as total_runs, (sum(hits) filter (where infra))::int as infra_hits from cluster_runs where ${ofCluster(c)}
    ), x as (
      (select run_id, hits, infra from cluster_runs where ${ofCluster(c)} order by run_started_at desc, run_id desc limit 20)
      union
      (select run_id, hits, infra from cluster_runs where ${ofCluster(c)} and infra order by run_started_at desc, run_id desc limit 10)
    )
    select ru.id, ru.started_at, ru.branch, ru.commit_sha, ru.total, ru.skipped, ru.failed, ru.errored, ru.infra, x.hits,
      x.infra as outage, t.total_runs, t.infra_hits
    from x join runs ru on ru.id = x.run_id cross join t order by ru.started_at desc, ru.id desc`))
}

/** Failures per UTC day over the last year with any, oldest first (grouped by date, each day formatted once). */
async function loadDays(db: Db, c: ClusterWithProject): Promise<ClusterEvidence['days']> {
  const rows = rowsOf<{ day: string, n: number }>(await db.execute(sql`
    select to_char(d, 'YYYY-MM-DD') as day, n from (
      select (run_started_at at time zone 'UTC')::date as d, sum(hits)::int as n from cluster_runs
      where ${ofCluster(c)} group by 1 order by 1 desc limit 366) x
    order by d desc`))
  return rows.reverse().map(d => ({ day: d.day, occurrences: d.n }))
}

async function loadBranches(db: Db, c: ClusterWithProject): Promise<ClusterEvidence['branches']> {
  const rows = rowsOf<{ branch: string, n: number }>(await db.execute(sql`
    select coalesce(branch, '(no branch)') as branch, sum(hits)::int as n from cluster_runs
    where ${ofCluster(c)} group by 1 order by 2 desc, 1 limit 10`))
  return rows.map(b => ({ branch: b.branch, occurrences: b.n }))
}

/** Up to five settled clusters of the project whose signature resembles this one, with their last diagnosis summary. */
async function loadSimilarResolved(db: Db, c: ClusterWithProject): Promise<ClusterEvidence['similarResolved']> {
  const rows = rowsOf<SimilarRow>(await db.execute(sql`
    select fc.id, fc.title, fc.error_type, fc.locator, fc.status, fc.status_note, fc.last_seen_at,
      (select d.summary from diagnoses d where d.cluster_id = fc.id order by d.version desc limit 1) as summary
    from failure_clusters fc
    where fc.project_id = ${c.projectId} and fc.id <> ${c.id} and fc.merged_into_id is null
      and fc.status in ('resolved', 'regressed', 'ignored')
    order by fc.last_seen_at desc limit 200`))
  const mine = { title: c.title, errorType: c.errorType, locator: c.locator }
  return rows
    .map(s => ({ s, similarity: signatureSimilarity(mine, { title: s.title, errorType: s.error_type, locator: s.locator }) }))
    .filter(x => x.similarity >= 0.5)
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, 5)
    .map(({ s, similarity }) => ({
      clusterId: s.id, title: s.title, status: s.status, note: s.status_note, similarity, lastSeenAt: iso(s.last_seen_at),
      diagnosisSummary: s.summary,
    }))
}

/** The run where the cluster first appeared (its recorded first run, else the run of its oldest result). */
async function findFirstRun(db: Db, c: ClusterWithProject): Promise<(RunRefRow & { project_id: string }) | undefined> {
  const [first] = rowsOf<RunRefRow & { project_id: string }>(await db.execute(sql`
    select ru.id, ru.branch, ru.commit_sha, ru.commit_message, ru.started_at, ru.build_url, ru.project_id from runs ru
    where ru.id = coalesce(${c.firstSeenRunId}::uuid,
      (select run_id from test_results where cluster_id = ${c.id} order by run_started_at asc, id asc limit 1))`))
  return first
}

/**
 * The last run before `first` on its branch where these tests passed and none of them failed, among the branch's
 * GREEN_WINDOW runs before it: the walk follows the runs index back and checks each run's results, so it costs the
 * same at any history length (grouping every earlier pass of the tests took 460 ms warm at 10M results; this 13 ms).
 * Each run is probed by its own start (one month's index, a few rows): as two EXISTS the planner read every failure
 * of the tests in every month instead when they fail often (44,208 rows, 193 ms for the largest cluster at 10M; 0.4 ms).
 */
async function findLastGreenRun(db: Db, first: RunRefRow & { project_id: string }, tests: string[]): Promise<RunRefRow | undefined> {
  const ids = sql`${plainArray(tests)}::uuid[]`
  const [green] = rowsOf<RunRefRow>(await db.execute(sql`
    select ru.id, ru.branch, ru.commit_sha, ru.commit_message, ru.started_at, ru.build_url from (
      select id, branch, commit_sha, commit_message, started_at, build_url from runs
      where project_id = ${first.project_id} and ${first.branch === null ? sql`branch is null` : sql`branch = ${first.branch}`}
        and started_at < ${iso(first.started_at)}::timestamptz
      order by started_at desc, id desc limit ${GREEN_WINDOW}) ru
    cross join lateral (
      select bool_or(r.status = 'passed') as passed, bool_or(r.status in ('failed', 'errored')) as failing from test_results r
      where r.run_id = ru.id and r.run_started_at = ru.started_at and r.test_case_id = any(${ids})) x
    where x.passed and not x.failing
    order by ru.started_at desc, ru.id desc limit 1`))
  return green
}

/** The distinct commits of the runs after the last green one, up to and including the first failing one. */
async function loadCommitsBetween(db: Db, green: RunRefRow, first: RunRefRow & { project_id: string }) {
  const between = rowsOf<RunRefRow>(await db.execute(sql`
    select id, branch, commit_sha, commit_message, started_at, build_url from runs
    where project_id = ${first.project_id} and branch is not distinct from ${first.branch}
      and started_at > ${iso(green.started_at)}::timestamptz and started_at <= ${iso(first.started_at)}::timestamptz
    order by started_at asc limit 100`))
  const seen = new Set<string>([green.commit_sha ?? ''])
  return between.filter(r => r.commit_sha && !seen.has(r.commit_sha) && seen.add(r.commit_sha))
    .map(r => ({ sha: r.commit_sha!, message: r.commit_message, runId: r.id, at: iso(r.started_at) }))
}

/** The first run with this failure, the last run before it on that branch where the same tests passed, and the runs between. */
async function loadFirstFailure(db: Db, c: ClusterWithProject): Promise<ClusterEvidence['firstFailure']> {
  const first = await findFirstRun(db, c)
  if (!first) return null
  const tests = rowsOf<{ test_case_id: string }>(await db.execute(sql`
    select distinct test_case_id from test_results
    where cluster_id = ${c.id} and run_started_at = ${iso(first.started_at)}::timestamptz and run_id = ${first.id} limit 10`)).map(t => t.test_case_id)
  if (!tests.length) return { run: runRef(first), lastGreenRun: null, commits: [] }
  const green = await findLastGreenRun(db, first, tests)
  const commits = green ? await loadCommitsBetween(db, green, first) : []
  return { run: runRef(first), lastGreenRun: green ? runRef(green) : null, commits }
}

function toClusterFacts(c: ClusterWithProject, affectedTotal: number): ClusterEvidence['cluster'] {
  return {
    id: c.id, project: c.projectSlug, title: c.title, errorType: c.errorType, category: c.category as FailureCategory, locator: c.locator,
    location: c.location, status: c.status, statusNote: c.statusNote, occurrences: c.occurrences,
    affectedTests: Math.max(c.affectedTests, affectedTotal), branches: c.branches, firstSeenAt: iso(c.firstSeenAt),
    lastSeenAt: iso(c.lastSeenAt),
  }
}

const toAffectedTest = (t: AffectedRow): ClusterEvidence['affectedTests'][number] => ({
  testCaseId: t.id, test: testLabel(t.suite_path, t.title), file: t.file, variant: t.variant, occurrences: t.n, lastSeenAt: iso(t.last),
  flakyLabel: t.flaky_label, flakyScore: Number(t.flaky_score), flakyConfidence: Number(t.flaky_confidence), failedRuns: t.failed_runs,
  flakyRuns: t.flaky_runs, lastFlakeAt: isoOrNull(t.last_flake_at),
})

const toRunStat = (r: RunStatRow): ClusterEvidence['runs'][number] => ({
  runId: r.id, at: iso(r.started_at), branch: r.branch, commit: r.commit_sha, hits: r.hits, executed: r.total - r.skipped,
  failing: r.failed + r.errored, infra: r.outage, ...(r.outage && !r.infra ? { uploadOutage: true as const } : {}),
})

/** Everything the context bundle needs about one cluster, read with a handful of indexed queries. */
async function loadClusterEvidence(db: Db, c: ClusterWithProject): Promise<ClusterEvidence> {
  // independent of each other: sent together, so a pooled Postgres answers them in parallel
  const [samples, tests, runs, days, branches, firstFailure, similarResolved] = await Promise.all([
    loadSamples(db, c.id), loadAffectedTests(db, c.id), loadRunStats(db, c), loadDays(db, c), loadBranches(db, c), loadFirstFailure(db, c),
    loadSimilarResolved(db, c),
  ])
  return {
    cluster: toClusterFacts(c, tests[0]?.total ?? 0),
    samples,
    affectedTests: tests.map(toAffectedTest),
    affectedTestsTotal: tests[0]?.total ?? 0,
    runs: runs.map(toRunStat),
    runsTotal: runs[0]?.total_runs ?? 0,
    infraHits: runs[0]?.infra_hits ?? 0,
    days,
    branches,
    firstFailure,
    similarResolved,
  }
}

/** One cluster's context bundle within the token budget, the configured LLM's key redacted from it. */
export async function assembleContext(
  db: Db, cluster: ClusterWithProject, llm: LlmConfig | null, budgetTokens?: number,
): Promise<ClusterContext> {
  const options = { budgetTokens: budgetTokens ?? useConfig().contextTokens, secrets: llm?.apiKey ? [llm.apiKey] : [] }
  return assembleClusterContext(await loadClusterEvidence(db, cluster), options)
}

/** The context bundle of one cluster: what `get_cluster_context` returns and what an LLM receives. 404 outside the scope. */
export async function buildClusterContext(scope: Scope, clusterId: string, query: ContextQuery = {}): Promise<ClusterContext> {
  const cluster = await requireCluster(scope, clusterId)
  return assembleContext(await useDb(), cluster, await loadLlmConfig(), query.budget)
}
