import { and, eq, isNull, lt, sql, type SQL } from 'drizzle-orm'
import { useDb, schema, type Tx } from '../db'
import { rowsJson, rowsOf, plainArray } from '../db/sql'
import { fingerprintFailure, FINGERPRINT_VERSION, type FailureFingerprint } from '../analysis/fingerprint'
import type { UpdateClusterBody } from '#shared/schemas/clusters'
import type { IngestReceipt } from '#shared/types/ingest'
import type { ClusterTriage } from '#shared/types/triage'
import { badRequest } from '../utils/errors'
import { clusterMissing, clusterNotFound } from './clusters'
import { authorize } from './policy'
import { inScope, type Scope } from './scope'
import { diagnoseClusters } from './diagnoses'

/**
 * Every write to failure clusters: failures and retry passes of an upload joining their clusters (created on first
 * sight, regressed when resolved), the cluster rollup per run (cluster_runs), infrastructure marking, triage by a person
 * (status, note, merging two clusters), the exact recount, and re-clustering after a fingerprint algorithm change.
 * Reads live in ./clusters.ts.
 */

const { failureClusters, clusterAliases, testResults } = schema

type ClusterRow = typeof failureClusters.$inferSelect
export type NewCluster = IngestReceipt['newClusters'][number]

/** A result of this upload that joins a cluster (+1: a failure or a retry pass) or one a shard merge replaces (-1). */
export interface ClusterHit {
  testCaseId: string
  fp: FailureFingerprint
  message: string | null
  stack: string | null
  delta: 1 | -1
}

/** The run whose cluster rollup an upload keeps. */
export interface RunRollupRef {
  id: string
  projectId: string
  startedAt: Date
}

export interface RunContext {
  projectId: string
  runId: string
  startedAt: Date
  branch: string | null
}

const SAMPLE_CHARS = 8000

// ---------------------------------------------------------------------------------------------------------------
// Ingest: bulk SQL over the failures of one upload, inside its transaction.

/**
 * The cluster of each fingerprint of these hits (aliases first, then by fingerprint, creating missing ones), and the
 * ids of those this call created. Each cluster found is locked `for key share` until the upload commits: other
 * uploads still count into it, but a merge or a re-clustering waits, so it moves this upload's results too. The counts
 * are gathered with addClusterLinks and written by applyClusterLinks, at the end of the upload's writes.
 */
export async function resolveClusterHits(
  tx: Tx, run: RunContext, hits: ClusterHit[],
): Promise<{ clusterIds: Map<string, string>, createdIds: Set<string> }> {
  const clusterIds = new Map<string, string>()
  const createdIds = new Set<string>()
  let pending = new Set(hits.map(h => h.fp.fingerprint))
  // A fingerprint stays pending while its cluster is merged away under us, or while another upload that inserted it
  // first commits (this statement's snapshot cannot see that row; the next one can).
  for (let round = 0; pending.size && round < 5; round++) {
    // Known fingerprints are read, not upserted: an insert that meets an existing cluster waits for every upload that
    // updated that row to commit, which made concurrent uploads of one project wait here for each other's whole transaction.
    const found = new Map(rowsOf<{ fingerprint: string, id: string }>(await tx.execute(sql`
      select x.fingerprint, coalesce(ca.cluster_id, fc.id) as id
      from unnest(${`{${[...pending].map(f => `"${f}"`).join(',')}}`}::text[]) as x(fingerprint)
      left join cluster_aliases ca on ca.project_id = ${run.projectId}::uuid and ca.fingerprint = x.fingerprint
      left join failure_clusters fc on fc.project_id = ${run.projectId}::uuid and fc.fingerprint = x.fingerprint
      where ca.cluster_id is not null or fc.id is not null`)).map(r => [r.fingerprint, r.id]))
    const missing = hits.filter(h => pending.has(h.fp.fingerprint) && !found.has(h.fp.fingerprint))
    for (const r of missing.length ? await insertClusters(tx, run, missing) : []) {
      found.set(r.fingerprint, r.id)
      if (r.created) createdIds.add(r.id)
    }
    const toLock = [...new Set([...found.values()].filter(id => !createdIds.has(id)))].sort()
    // after waiting for a merge that held the row, the lock reads the row as the merge left it
    const live = new Set(toLock.length
      ? rowsOf<{ id: string, live: boolean }>(await tx.execute(sql`
          select id, merged_into_id is null as live from failure_clusters where id = any(${plainArray(toLock)}::uuid[])
          order by id for key share`)).filter(r => r.live).map(r => r.id)
      : [])
    const next = new Set<string>()
    for (const fingerprint of pending) {
      const id = found.get(fingerprint)
      if (id && (createdIds.has(id) || live.has(id))) clusterIds.set(fingerprint, id)
      else next.add(fingerprint)
    }
    pending = next
  }
  if (pending.size) throw new Error(`no cluster could be resolved for ${pending.size} failure fingerprint(s)`)
  return { clusterIds, createdIds }
}

/** A test case's count in a cluster changes by `delta` (summed over an upload). */
interface ClusterLink { cluster_id: string, test_case_id: string, delta: number }
/** An upload's cluster links, keyed "cluster|test case". */
export type ClusterLinks = Map<string, ClusterLink>

/** Adds these hits, whose clusters resolveClusterHits gave, to an upload's per (cluster, test case) deltas. */
export function addClusterLinks(links: ClusterLinks, clusterIds: Map<string, string>, hits: ClusterHit[]): void {
  for (const h of hits) {
    const clusterId = clusterIds.get(h.fp.fingerprint)!
    const key = `${clusterId}|${h.testCaseId}`
    const link = links.get(key) ?? { cluster_id: clusterId, test_case_id: h.testCaseId, delta: 0 }
    link.delta += h.delta
    links.set(key, link)
  }
}

/** Rows per statement of an upload's cluster counts (one statement per slice, as before they were gathered). */
const LINKS_PER_STATEMENT = 10_000

/** Applies an upload's cluster counts (addClusterLinks), at the end of its writes. */
export async function applyClusterLinks(tx: Tx, run: RunContext, links: ClusterLinks): Promise<void> {
  const changed = [...links.values()].filter(l => l.delta !== 0)
  for (let i = 0; i < changed.length; i += LINKS_PER_STATEMENT) {
    await applyOccurrences(tx, run, changed.slice(i, i + LINKS_PER_STATEMENT))
  }
}

/** Clusters for fingerprints not seen yet (through an alias, a cluster made meanwhile, or a new one), in one statement. */
async function insertClusters(tx: Tx, run: RunContext, hits: ClusterHit[]) {
  const at = run.startedAt.toISOString()
  // A new cluster's sample comes from a failure of this upload, not from one a shard merge takes back.
  const byFingerprint = new Map<string, ClusterHit>()
  for (const h of hits) if (h.delta > 0 && !byFingerprint.has(h.fp.fingerprint)) byFingerprint.set(h.fp.fingerprint, h)
  for (const h of hits) if (!byFingerprint.has(h.fp.fingerprint)) byFingerprint.set(h.fp.fingerprint, h)
  // in fingerprint order: two uploads bringing the same new clusters wait for each other, never deadlock
  const candidates = [...byFingerprint.values()].sort((a, b) => (a.fp.fingerprint < b.fp.fingerprint ? -1 : 1)).map(h => ({
    fingerprint: h.fp.fingerprint, version: h.fp.version, error_type: h.fp.errorType, category: h.fp.category, title: h.fp.title,
    locator: h.fp.locator, location: h.fp.location,
    sample_message: h.message?.slice(0, SAMPLE_CHARS) ?? null, sample_stack: h.stack?.slice(0, SAMPLE_CHARS) ?? null,
  }))
  return rowsOf<{ fingerprint: string, id: string, created: boolean }>(await tx.execute(sql`
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
}

/**
 * Per (cluster, test case) deltas: the link table counts, the cluster row sums (and regresses resolved clusters).
 * A test counts as affected while its link counts an occurrence: a link a shard merge takes back to zero stops
 * counting, one counting again (inserted or back from zero) counts, as the exact recount would have it.
 */
async function applyOccurrences(tx: Tx, run: RunContext, changed: ClusterLink[]) {
  const at = run.startedAt.toISOString()
  await tx.execute(sql`
      with x as (
        select * from json_to_recordset(${rowsJson(changed)}::json) as x(cluster_id uuid, test_case_id uuid, delta int)
      ), down as (
        update cluster_test_cases ct set occurrences = greatest(ct.occurrences + x.delta, 0)
        from x where x.delta < 0 and ct.cluster_id = x.cluster_id and ct.test_case_id = x.test_case_id and ct.occurrences > 0
        returning ct.cluster_id, ct.occurrences = 0 as emptied
      ), up as (
        insert into cluster_test_cases (cluster_id, test_case_id, occurrences, first_seen_at, last_seen_at)
        select x.cluster_id, x.test_case_id, x.delta, ${at}::timestamptz, ${at}::timestamptz from x where x.delta > 0
        on conflict (cluster_id, test_case_id) do update set
          occurrences = cluster_test_cases.occurrences + excluded.occurrences,
          first_seen_at = least(cluster_test_cases.first_seen_at, excluded.first_seen_at),
          last_seen_at = greatest(cluster_test_cases.last_seen_at, excluded.last_seen_at)
        returning cluster_id, test_case_id, occurrences
      ), emptied as (
        select cluster_id, count(*)::int as n from down where emptied group by cluster_id
      ), sums as (
        select x.cluster_id, sum(x.delta)::int as delta, max(x.delta) > 0 as hit,
          (count(*) filter (where up.occurrences = x.delta))::int - coalesce(max(e.n), 0) as new_tests
        from x left join up on up.cluster_id = x.cluster_id and up.test_case_id = x.test_case_id
        left join emptied e on e.cluster_id = x.cluster_id
        group by x.cluster_id
      )
      update failure_clusters fc set
        occurrences = greatest(fc.occurrences + sums.delta, 0),
        affected_tests = greatest(fc.affected_tests + sums.new_tests, 0),
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

/**
 * The cluster rollup of one run (cluster_runs) after an upload of it, in its transaction: the run's rows counted again
 * from its stored results, in the clusters it held before and those this upload hit, with the run's branch and
 * infrastructure flag as the upload left them. Shards and re-uploads come out exact, whatever earlier uploads counted.
 */
export async function rollUpClusterRun(tx: Tx, run: RunRollupRef, hitClusters: string[]): Promise<void> {
  const held = rowsOf<{ cluster_id: string }>(await tx.execute(sql`
    delete from cluster_runs where project_id = ${run.projectId}::uuid and run_id = ${run.id}::uuid returning cluster_id`))
  const ids = [...new Set([...held.map(r => r.cluster_id), ...hitClusters])]
  if (!ids.length) return
  await insertClusterRuns(tx, run.projectId, sql`r.run_started_at = ${run.startedAt.toISOString()}::timestamptz
    and r.run_id = ${run.id}::uuid and r.cluster_id = any(${plainArray(ids)}::uuid[])`)
}

/**
 * cluster_runs rows counted from a project's stored results that match `where` (over results `r`), one per cluster and
 * run: infra when the run was an outage, or when every result of the cluster in it is an outage's (its shard or job
 * failed by itself: test_results.infra).
 */
async function insertClusterRuns(tx: Tx, projectId: string, where: SQL): Promise<void> {
  await tx.execute(sql`
    insert into cluster_runs (project_id, cluster_id, run_started_at, run_id, branch, hits, infra)
    select r.project_id, r.cluster_id, r.run_started_at, r.run_id, ru.branch, count(*)::int, ru.infra or bool_and(r.infra)
    from test_results r join runs ru on ru.id = r.run_id
    where r.project_id = ${projectId}::uuid and ${where}
    group by r.project_id, r.cluster_id, r.run_started_at, r.run_id, ru.branch, ru.infra`)
}

/** A run whose failures are mostly infrastructure marks the clusters it created as such. */
export async function markInfrastructureClusters(tx: Tx, clusterIds: string[]): Promise<void> {
  if (!clusterIds.length) return
  await tx.execute(sql`update failure_clusters set category = 'infrastructure' where id = any(${plainArray(clusterIds)}::uuid[])`)
}

// ---------------------------------------------------------------------------------------------------------------
// Triage: a person's decisions on one cluster.

async function lockOpenCluster(tx: Tx, scope: Scope, clusterId: string): Promise<ClusterRow | null> {
  const [row] = await tx.select().from(failureClusters)
    .where(and(eq(failureClusters.id, clusterId), inScope(scope, failureClusters.projectId), isNull(failureClusters.mergedIntoId)))
    .for('update')
  return row ?? null
}

function toTriage(c: ClusterRow): ClusterTriage {
  return {
    id: c.id, status: c.status, statusNote: c.statusNote, statusChangedAt: c.statusChangedAt?.toISOString() ?? null,
    statusChangedBy: c.statusChangedBy, occurrences: c.occurrences, affectedTests: c.affectedTests,
    issueUrl: c.issueUrl,
  }
}

/**
 * Triage of one cluster: status and note (who and when recorded), or folding another cluster of the same project
 * into it. Viewers read only; clusters outside the scope do not exist.
 */
export async function updateCluster(scope: Scope, clusterId: string, body: UpdateClusterBody): Promise<ClusterTriage> {
  const db = await useDb()
  const triage = await db.transaction(async (tx) => {
    const cluster = await lockOpenCluster(tx, scope, clusterId)
    // Existence first: a viewer learns nothing about clusters outside its scope, not even that they exist.
    if (!cluster) throw await clusterMissing(scope, clusterId, tx)
    authorize(scope, 'triage')
    if (body.mergeClusterId) {
      if (body.mergeClusterId === clusterId) throw badRequest('A cluster cannot be merged into itself.')
      const source = await lockOpenCluster(tx, scope, body.mergeClusterId)
      if (!source || source.projectId !== cluster.projectId) {
        throw clusterNotFound('No failure cluster with this id in the same project to merge in.')
      }
      await foldCluster(tx, source.id, cluster.id, cluster.projectId)
      await recountClusters(tx, cluster.projectId, [cluster.id])
    }
    const changes: Partial<typeof failureClusters.$inferInsert> = {}
    if (body.status !== undefined) changes.status = body.status
    if (body.note !== undefined) changes.statusNote = body.note || null
    if (body.issueUrl !== undefined) changes.issueUrl = body.issueUrl
    if (body.status !== undefined || body.note !== undefined) {
      changes.statusChangedAt = new Date()
      changes.statusChangedBy = scope.userId
    }
    const [updated] = Object.keys(changes).length
      ? await tx.update(failureClusters).set(changes).where(eq(failureClusters.id, cluster.id)).returning()
      : await tx.select().from(failureClusters).where(eq(failureClusters.id, cluster.id))
    return toTriage(updated!)
  })
  // a merge gives the target new evidence: its diagnosis follows after the commit, off the request path
  if (body.mergeClusterId) void diagnoseClusters([triage.id])
  return triage
}

/** Moves every result of `sourceId` to `targetId` and makes the source's fingerprints aliases of the target. */
async function foldCluster(tx: Tx, sourceId: string, targetId: string, projectId: string) {
  await tx.update(testResults).set({ clusterId: targetId }).where(eq(testResults.clusterId, sourceId))
  await tx.update(clusterAliases).set({ clusterId: targetId }).where(eq(clusterAliases.clusterId, sourceId))
  const [source] = await tx.update(failureClusters).set({ mergedIntoId: targetId, occurrences: 0, affectedTests: 0 })
    .where(eq(failureClusters.id, sourceId)).returning({ fingerprint: failureClusters.fingerprint })
  await tx.insert(clusterAliases).values({ projectId, fingerprint: source!.fingerprint, clusterId: targetId })
    .onConflictDoUpdate({ target: [clusterAliases.projectId, clusterAliases.fingerprint], set: { clusterId: targetId } })
  await tx.execute(sql`update failure_clusters set merged_into_id = ${targetId}::uuid where merged_into_id = ${sourceId}::uuid`)
  await tx.execute(sql`delete from cluster_test_cases where cluster_id = ${sourceId}::uuid`)
  await tx.execute(sql`delete from cluster_runs where project_id = ${projectId}::uuid and cluster_id = ${sourceId}::uuid`)
}

/**
 * Recomputes the counters and the per-run rollup of these clusters of one project from their stored results (after a
 * merge or a re-clustering): the ingest path keeps them current incrementally, this is the slow, exact way. Every
 * result carrying the cluster counts, failures and retry passes alike, exactly as the ingest path counts them.
 */
async function recountClusters(tx: Tx, projectId: string, clusterIds: string[]): Promise<void> {
  if (!clusterIds.length) return
  const ids = plainArray(clusterIds)
  await tx.execute(sql`delete from cluster_test_cases where cluster_id = any(${ids}::uuid[])`)
  await tx.execute(sql`delete from cluster_runs where project_id = ${projectId}::uuid and cluster_id = any(${ids}::uuid[])`)
  await insertClusterRuns(tx, projectId, sql`r.cluster_id = any(${ids}::uuid[])`)
  await tx.execute(sql`
    insert into cluster_test_cases (cluster_id, test_case_id, occurrences, first_seen_at, last_seen_at)
    select cluster_id, test_case_id, count(*)::int, min(run_started_at), max(run_started_at)
    from test_results where cluster_id = any(${ids}::uuid[]) group by cluster_id, test_case_id`)
  await tx.execute(sql`
    with agg as (
      select r.cluster_id, count(*)::int as n, count(distinct r.test_case_id)::int as tests,
        min(r.run_started_at) as first_at, max(r.run_started_at) as last_at,
        (array_agg(r.run_id order by r.run_started_at, r.id))[1] as first_run,
        (array_agg(r.run_id order by r.run_started_at desc, r.id desc))[1] as last_run,
        coalesce(array_agg(distinct ru.branch) filter (where ru.branch is not null), '{}') as branches
      from test_results r join runs ru on ru.id = r.run_id
      where r.cluster_id = any(${ids}::uuid[]) group by r.cluster_id
    )
    update failure_clusters fc set occurrences = coalesce(agg.n, 0), affected_tests = coalesce(agg.tests, 0),
      first_seen_at = coalesce(agg.first_at, fc.first_seen_at), first_seen_run_id = coalesce(agg.first_run, fc.first_seen_run_id),
      last_seen_at = coalesce(agg.last_at, fc.last_seen_at), last_seen_run_id = coalesce(agg.last_run, fc.last_seen_run_id),
      branches = coalesce(agg.branches, fc.branches)
    from unnest(${ids}::uuid[]) as c(id) left join agg on agg.cluster_id = c.id
    where fc.id = c.id`)
}

// ---------------------------------------------------------------------------------------------------------------
// Re-clustering after a fingerprint algorithm change (at startup, in the background).

interface StaleResult {
  id: string
  cluster_id: string
  error_message: string | null
  error_stack: string | null
  file: string | null
  suite_path: string[]
}

/** The re-clustering this process is running, if any (settled otherwise). */
let reclustering: Promise<unknown> = Promise.resolve()

/**
 * Until the re-clustering this process runs is done: an upload waits for it before it stores anything. A failure
 * matched before its cluster was re-keyed found no cluster of the new algorithm's key and made one, which the
 * re-clustering then took the old cluster into: its status and notes were lost, and the receipt and webhooks called
 * a known cause new (a review: uploads sent as the upgraded server said healthy).
 */
export const untilReclustered = (): Promise<unknown> => reclustering

/**
 * After a fingerprint algorithm change, re-fingerprints the failures (and retry passes) of clusters made by an
 * older version. A
 * cluster keeps its id, status and notes when its failures still agree on one fingerprint (the old one becomes
 * an alias); failures that now belong elsewhere move to the matching cluster, created if needed; a cluster left
 * empty is folded into where most of its failures went. Returns how many clusters were re-examined. Uploads wait
 * for it (untilReclustered).
 */
export function reclusterStaleFingerprints(): Promise<number> {
  const run = recluster()
  reclustering = run.catch(() => {})
  return run
}

async function recluster(): Promise<number> {
  const db = await useDb()
  const stale = await db.select({ id: failureClusters.id, projectId: failureClusters.projectId }).from(failureClusters)
    .where(and(lt(failureClusters.fingerprintVersion, FINGERPRINT_VERSION), isNull(failureClusters.mergedIntoId)))
  if (!stale.length) return 0
  const started = Date.now()
  console.info(`[proofdeck] re-clustering the failures of ${stale.length} cluster(s) after a fingerprint algorithm change; uploads wait for it`)
  // One transaction per cluster: a long history re-clusters in small steps while the server serves.
  for (const { id } of stale) await db.transaction(tx => reclusterOne(tx, id))
  console.info(`[proofdeck] re-clustered the failures of ${stale.length} cluster(s) after a fingerprint algorithm change in ${Date.now() - started} ms`)
  return stale.length
}

async function reclusterOne(tx: Tx, id: string) {
  const [cluster] = await tx.select().from(failureClusters).where(eq(failureClusters.id, id)).for('update')
  if (!cluster || cluster.mergedIntoId || cluster.fingerprintVersion >= FINGERPRINT_VERSION) return
  const results = rowsOf<StaleResult>(await tx.execute(sql`
        select r.id, r.cluster_id, r.error_message, r.error_stack, tc.file, tc.suite_path
        from test_results r join test_cases tc on tc.id = r.test_case_id where r.cluster_id = ${id}::uuid`))
  const groups = new Map<string, { fp: Readonly<FailureFingerprint>, ids: string[], sample: StaleResult }>()
  for (const r of results) {
    const fp = fingerprintFailure({ message: r.error_message, stack: r.error_stack, file: r.file, suitePath: r.suite_path })
    if (!fp) continue
    const g = groups.get(fp.fingerprint) ?? { fp, ids: [], sample: r }
    g.ids.push(r.id)
    groups.set(fp.fingerprint, g)
  }
  const ordered = [...groups.values()].sort((a, b) => b.ids.length - a.ids.length)
  // A cluster someone merged by hand stays whole: that merge is a person's judgement, not the algorithm's.
  const [merge] = await tx.select({ id: failureClusters.id }).from(failureClusters).where(eq(failureClusters.mergedIntoId, id)).limit(1)
  const touched = new Set<string>([id])
  let kept = false
  for (const g of ordered) {
    const existing = merge ? null : await clusterForFingerprint(tx, cluster.projectId, g.fp)
    const destination: string = existing ?? (!kept || merge ? id : await createCluster(tx, cluster, g.fp, g.sample))
    if (destination === id) {
      if (!kept) await rekeyCluster(tx, cluster, g.fp)
      await tx.insert(clusterAliases).values({ projectId: cluster.projectId, fingerprint: g.fp.fingerprint, clusterId: id })
        .onConflictDoNothing()
      kept = true
    }
    touched.add(destination)
    await tx.execute(sql`update test_results set fingerprint = ${g.fp.fingerprint}, cluster_id = ${destination}::uuid
          where id = any(${plainArray(g.ids)}::uuid[])`)
  }
  if (!kept) {
    const into = [...touched].find(t => t !== id)
    if (into) await foldCluster(tx, id, into, cluster.projectId)
    else await tx.update(failureClusters).set({ fingerprintVersion: FINGERPRINT_VERSION }).where(eq(failureClusters.id, id))
  }
  await recountClusters(tx, cluster.projectId, [...touched])
}

/**
 * Gives a cluster the signature of the new algorithm; its old fingerprint stays as an alias. When another row
 * (a cluster merged away earlier) still holds the new fingerprint, the alias alone routes it here.
 */
async function rekeyCluster(tx: Tx, cluster: ClusterRow, fp: FailureFingerprint) {
  await tx.insert(clusterAliases).values({ projectId: cluster.projectId, fingerprint: cluster.fingerprint, clusterId: cluster.id })
    .onConflictDoNothing()
  const [holder] = await tx.select({ id: failureClusters.id }).from(failureClusters)
    .where(and(eq(failureClusters.projectId, cluster.projectId), eq(failureClusters.fingerprint, fp.fingerprint))).limit(1)
  await tx.update(failureClusters).set({
    ...(holder ? {} : { fingerprint: fp.fingerprint }),
    fingerprintVersion: fp.version, errorType: fp.errorType, title: fp.title, locator: fp.locator, location: fp.location,
    category: cluster.category === 'infrastructure' ? 'infrastructure' : fp.category,
  }).where(eq(failureClusters.id, cluster.id))
}

async function clusterForFingerprint(tx: Tx, projectId: string, fp: FailureFingerprint): Promise<string | null> {
  const [row] = rowsOf<{ id: string }>(await tx.execute(sql`
    select cluster_id as id from cluster_aliases where project_id = ${projectId}::uuid and fingerprint = ${fp.fingerprint}
    union all
    select id from failure_clusters where project_id = ${projectId}::uuid and fingerprint = ${fp.fingerprint} and merged_into_id is null
    limit 1`))
  return row?.id ?? null
}

async function createCluster(tx: Tx, from: ClusterRow, fp: FailureFingerprint, sample: StaleResult): Promise<string> {
  const [row] = await tx.insert(failureClusters).values({
    projectId: from.projectId, fingerprint: fp.fingerprint, fingerprintVersion: fp.version, errorType: fp.errorType, category: fp.category,
    title: fp.title, locator: fp.locator, location: fp.location, sampleMessage: sample.error_message, sampleStack: sample.error_stack,
    firstSeenAt: from.firstSeenAt, lastSeenAt: from.lastSeenAt,
  }).returning({ id: failureClusters.id })
  return row!.id
}
