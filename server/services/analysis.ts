import { sql } from 'drizzle-orm'
import type { Tx } from '../db'
import { rowsJson, rowsOf, uuidArray } from '../db/sql'
import { assessFlakiness, DEFAULT_FLAKY_OPTIONS, type FlakyObservation, type FlakyOptions } from '../analysis/flakiness'
import type { FailureFingerprint } from '../analysis/fingerprint'
import type { FlakyLabel, TestStatus } from '../../shared/constants'
import type { IngestReceipt } from '../../shared/types/ingest'
import { useConfig } from '../utils/config'

/**
 * The analysis that runs inside the ingest transaction: failures join their clusters (created on first sight,
 * regressed when resolved), and the flakiness rollup of every test whose window changed is recomputed from its
 * stored history. Everything here is bulk SQL over the rows of one upload.
 */

export type NewCluster = IngestReceipt['newClusters'][number]
export type NewlyFlaky = IngestReceipt['newlyFlaky'][number]

/** A failing result of this upload (+1) or a failing result a shard merge replaces (-1), with its fingerprint. */
export interface ClusterHit {
  testCaseId: string
  fp: FailureFingerprint
  message: string | null
  stack: string | null
  delta: 1 | -1
}

export interface RunContext {
  projectId: string
  runId: string
  startedAt: Date
  branch: string | null
}

const SAMPLE_CHARS = 8000

/**
 * Resolves the clusters of this upload's failures (aliases first, then by fingerprint, creating missing ones) and
 * applies the occurrence counts. Returns the cluster id of each fingerprint and the clusters this upload created.
 */
export async function applyClusterHits(tx: Tx, run: RunContext, hits: ClusterHit[]): Promise<{ clusterIds: Map<string, string>, created: NewCluster[] }> {
  const clusterIds = new Map<string, string>()
  if (!hits.length) return { clusterIds, created: [] }
  const at = run.startedAt.toISOString()

  const byFingerprint = new Map<string, ClusterHit>()
  for (const h of hits) if (h.delta > 0 && !byFingerprint.has(h.fp.fingerprint)) byFingerprint.set(h.fp.fingerprint, h)
  for (const h of hits) if (!byFingerprint.has(h.fp.fingerprint)) byFingerprint.set(h.fp.fingerprint, h)
  const candidates = [...byFingerprint.values()].map(h => ({
    fingerprint: h.fp.fingerprint, version: h.fp.version, error_type: h.fp.errorType, category: h.fp.category, title: h.fp.title,
    locator: h.fp.locator, location: h.fp.location, sample_message: h.message?.slice(0, SAMPLE_CHARS) ?? null, sample_stack: h.stack?.slice(0, SAMPLE_CHARS) ?? null,
  }))
  const resolved = rowsOf<{ fingerprint: string, id: string, created: boolean }>(await tx.execute(sql`
    with x as (
      select * from json_to_recordset(${rowsJson(candidates)}::json) as x(fingerprint text, version smallint, error_type text,
        category failure_category, title text, locator text, location text, sample_message text, sample_stack text)
    ), a as (
      select x.fingerprint, ca.cluster_id from x join cluster_aliases ca on ca.project_id = ${run.projectId}::uuid and ca.fingerprint = x.fingerprint
    ), ins as (
      insert into failure_clusters (project_id, fingerprint, fingerprint_version, error_type, category, title, locator, location,
        sample_message, sample_stack, first_seen_run_id, first_seen_at, last_seen_run_id, last_seen_at)
      select ${run.projectId}::uuid, x.fingerprint, x.version, x.error_type, x.category, x.title, x.locator, x.location,
        x.sample_message, x.sample_stack, ${run.runId}::uuid, ${at}::timestamptz, ${run.runId}::uuid, ${at}::timestamptz
      from x where not exists (select 1 from a where a.fingerprint = x.fingerprint)
      on conflict (project_id, fingerprint) do nothing
      returning id, fingerprint
    )
    select fingerprint, cluster_id as id, false as created from a
    union all select fingerprint, id, true from ins
    union all
    select fc.fingerprint, fc.id, false from failure_clusters fc join x on fc.project_id = ${run.projectId}::uuid and fc.fingerprint = x.fingerprint
    where not exists (select 1 from a where a.fingerprint = x.fingerprint)`))
  const createdIds = new Set<string>()
  for (const r of resolved) {
    clusterIds.set(r.fingerprint, r.id)
    if (r.created) createdIds.add(r.id)
  }

  // Per (cluster, test case) deltas: the link table counts, the cluster row sums.
  const links = new Map<string, { cluster_id: string, test_case_id: string, delta: number }>()
  for (const h of hits) {
    const clusterId = clusterIds.get(h.fp.fingerprint)!
    const key = `${clusterId}|${h.testCaseId}`
    const link = links.get(key) ?? { cluster_id: clusterId, test_case_id: h.testCaseId, delta: 0 }
    link.delta += h.delta
    links.set(key, link)
  }
  const changed = [...links.values()].filter(l => l.delta !== 0)
  if (changed.length) {
    await tx.execute(sql`
      with x as (
        select * from json_to_recordset(${rowsJson(changed)}::json) as x(cluster_id uuid, test_case_id uuid, delta int)
      ), down as (
        update cluster_test_cases ct set occurrences = greatest(ct.occurrences + x.delta, 0)
        from x where x.delta < 0 and ct.cluster_id = x.cluster_id and ct.test_case_id = x.test_case_id
        returning ct.cluster_id
      ), up as (
        insert into cluster_test_cases (cluster_id, test_case_id, occurrences, first_seen_at, last_seen_at)
        select x.cluster_id, x.test_case_id, x.delta, ${at}::timestamptz, ${at}::timestamptz from x where x.delta > 0
        on conflict (cluster_id, test_case_id) do update set
          occurrences = cluster_test_cases.occurrences + excluded.occurrences,
          first_seen_at = least(cluster_test_cases.first_seen_at, excluded.first_seen_at),
          last_seen_at = greatest(cluster_test_cases.last_seen_at, excluded.last_seen_at)
        returning cluster_id, (xmax = 0) as inserted
      ), sums as (
        select x.cluster_id, sum(x.delta)::int as delta, max(x.delta) > 0 as hit,
          (select count(*) from up where up.cluster_id = x.cluster_id and up.inserted)::int as new_tests
        from x group by x.cluster_id
      )
      update failure_clusters fc set
        occurrences = greatest(fc.occurrences + sums.delta, 0),
        affected_tests = fc.affected_tests + sums.new_tests,
        first_seen_at = case when sums.hit and ${at}::timestamptz < fc.first_seen_at then ${at}::timestamptz else fc.first_seen_at end,
        first_seen_run_id = case when sums.hit and ${at}::timestamptz < fc.first_seen_at then ${run.runId}::uuid else fc.first_seen_run_id end,
        last_seen_at = case when sums.hit and ${at}::timestamptz >= fc.last_seen_at then ${at}::timestamptz else fc.last_seen_at end,
        last_seen_run_id = case when sums.hit and ${at}::timestamptz >= fc.last_seen_at then ${run.runId}::uuid else fc.last_seen_run_id end,
        branches = case when sums.hit and ${run.branch}::text is not null and not (${run.branch}::text = any(fc.branches))
          then array_append(fc.branches, ${run.branch}::text) else fc.branches end,
        status = case when sums.hit and fc.status = 'resolved' then 'regressed' else fc.status end,
        status_note = case when sums.hit and fc.status = 'resolved'
          then 'Failed again after it was resolved' || coalesce(' (resolution note: ' || fc.status_note || ')', '') else fc.status_note end,
        status_changed_at = case when sums.hit and fc.status = 'resolved' then now() else fc.status_changed_at end,
        status_changed_by = case when sums.hit and fc.status = 'resolved' then null else fc.status_changed_by end
      from sums where fc.id = sums.cluster_id`)
  }

  const created = createdIds.size
    ? rowsOf<{ id: string, title: string, category: string, occurrences: number }>(await tx.execute(sql`
        select id, title, category, occurrences from failure_clusters where id = any(${uuidArray([...createdIds])}::uuid[]) order by occurrences desc, id`))
    : []
  return { clusterIds, created }
}

/** A run whose failures are mostly infrastructure marks the clusters it created as such. */
export async function markInfrastructureClusters(tx: Tx, clusterIds: string[]): Promise<void> {
  if (!clusterIds.length) return
  await tx.execute(sql`update failure_clusters set category = 'infrastructure' where id = any(${uuidArray(clusterIds)}::uuid[])`)
}

/** The configured flakiness window and thresholds (environment), validated once. */
export function flakyOptions(): FlakyOptions {
  return { ...DEFAULT_FLAKY_OPTIONS, window: useConfig().flakyWindow }
}

/** Share of failing tests at which a run counts as an infrastructure failure (default 0.5). */
export function infraShare(): number {
  return useConfig().infraFailureShare
}

/** Runs with fewer tests than this are never called infrastructure failures: two of three is not an outage. */
export const INFRA_MIN_TESTS = 10

interface HistoryRow {
  test_case_id: string
  result_id: string
  run_id: string
  status: TestStatus
  flaky: boolean
  attempt_count: number
  at: string | Date
  branch: string | null
  commit_sha: string | null
  infra: boolean
  flaky_label: FlakyLabel
  flaky_score: number
}

/**
 * Recomputes the flakiness rollup of these test cases from their newest results and writes the ones that changed.
 * Returns the tests that became flaky.
 */
export async function refreshFlakiness(tx: Tx, testCaseIds: string[], labels: (id: string) => string): Promise<NewlyFlaky[]> {
  if (!testCaseIds.length) return []
  const options = flakyOptions()
  const newly: NewlyFlaky[] = []
  for (let i = 0; i < testCaseIds.length; i += 2000) {
    const ids = testCaseIds.slice(i, i + 2000)
    const rows = rowsOf<HistoryRow>(await tx.execute(sql`
      select c.id as test_case_id, r.id as result_id, r.run_id, r.status, r.flaky, r.attempt_count, r.run_started_at as at,
        ru.branch, ru.commit_sha, ru.infra, tc.flaky_label, tc.flaky_score
      from unnest(${uuidArray(ids)}::uuid[]) as c(id)
      join test_cases tc on tc.id = c.id
      cross join lateral (
        select id, run_id, status, flaky, attempt_count, run_started_at from test_results
        where test_case_id = c.id and status <> 'skipped'
        order by run_started_at desc, id desc limit ${options.window * 2}
      ) r
      join runs ru on ru.id = r.run_id`))
    const byCase = new Map<string, { label: FlakyLabel, score: number, obs: FlakyObservation[] }>()
    for (const r of rows) {
      const entry = byCase.get(r.test_case_id) ?? { label: r.flaky_label, score: r.flaky_score, obs: [] }
      entry.obs.push({
        resultId: r.result_id, runId: r.run_id, branch: r.branch, commit: r.commit_sha, at: new Date(r.at),
        status: r.status, flaky: r.flaky, attempts: r.attempt_count, infra: r.infra,
      })
      byCase.set(r.test_case_id, entry)
    }
    const updates = [...byCase].map(([id, e]) => {
      const a = assessFlakiness(e.obs, options)
      if (a.label === 'flaky' && e.label !== 'flaky') newly.push({ testCaseId: id, title: labels(id), score: a.score })
      return {
        id, score: a.score, confidence: a.confidence, label: a.label, evidence: a.evidence, last_flake_at: a.lastFlakeAt?.toISOString() ?? null,
        sample: a.sample, retry_passes: a.retryPasses, flips: a.flips, mixed_commits: a.mixedCommits,
      }
    })
    if (!updates.length) continue
    await tx.execute(sql`
      update test_cases tc set
        flaky_score = x.score, flaky_confidence = x.confidence, flaky_label = x.label, flaky_evidence = x.evidence,
        flaky_since = case when x.label <> 'flaky' then null when tc.flaky_label <> 'flaky' then now() else tc.flaky_since end,
        last_flake_at = x.last_flake_at, flaky_sample = x.sample, flaky_retry_passes = x.retry_passes, flaky_flips = x.flips,
        flaky_mixed_commits = x.mixed_commits
      from json_to_recordset(${rowsJson(updates)}::json) as x(id uuid, score real, confidence real, label flaky_label, evidence jsonb,
        last_flake_at timestamptz, sample int, retry_passes int, flips int, mixed_commits int)
      where tc.id = x.id`)
  }
  return newly.sort((a, b) => b.score - a.score || a.title.localeCompare(b.title))
}
