import { and, eq, isNull, lt, sql } from 'drizzle-orm'
import { useDb, schema, type Tx } from '../db'
import { rowsOf, uuidArray } from '../db/sql'
import { fingerprintFailure, FINGERPRINT_VERSION, type FailureFingerprint } from '../analysis/fingerprint'
import type { UpdateClusterBody } from '../../shared/schemas/clusters'
import type { ClusterTriage } from '../../shared/types/triage'
import { badRequest, notFound } from '../utils/errors'
import { authorize } from './policy'
import { inScope, type Scope } from './scope'

const { failureClusters, clusterAliases, testResults } = schema

async function findOpenCluster(tx: Tx, scope: Scope, clusterId: string) {
  const [row] = await tx.select().from(failureClusters)
    .where(and(eq(failureClusters.id, clusterId), inScope(scope, failureClusters.projectId), isNull(failureClusters.mergedIntoId)))
    .for('update')
  return row ?? null
}

function toTriage(c: typeof failureClusters.$inferSelect): ClusterTriage {
  return {
    id: c.id, status: c.status, statusNote: c.statusNote, statusChangedAt: c.statusChangedAt?.toISOString() ?? null,
    statusChangedBy: c.statusChangedBy, occurrences: c.occurrences, affectedTests: c.affectedTests,
  }
}

/**
 * Triage of one cluster: status and note (who and when recorded), or folding another cluster of the same project
 * into it. Viewers read only; clusters outside the scope do not exist.
 */
export async function updateCluster(scope: Scope, clusterId: string, body: UpdateClusterBody): Promise<ClusterTriage> {
  const db = await useDb()
  return db.transaction(async (tx) => {
    const cluster = await findOpenCluster(tx, scope, clusterId)
    if (!cluster) throw notFound('No such cluster (it may have been merged into another one).')
    authorize(scope, 'triage')
    if (body.mergeClusterId) {
      if (body.mergeClusterId === clusterId) throw badRequest('A cluster cannot be merged into itself.')
      const source = await findOpenCluster(tx, scope, body.mergeClusterId)
      if (!source || source.projectId !== cluster.projectId) throw notFound('No such cluster to merge in this project.')
      await foldCluster(tx, source.id, cluster.id, cluster.projectId)
      await recountClusters(tx, [cluster.id])
    }
    const changes: Partial<typeof failureClusters.$inferInsert> = {}
    if (body.status !== undefined) changes.status = body.status
    if (body.note !== undefined) changes.statusNote = body.note || null
    if (body.status !== undefined || body.note !== undefined) {
      changes.statusChangedAt = new Date()
      changes.statusChangedBy = scope.userId
    }
    const [updated] = Object.keys(changes).length
      ? await tx.update(failureClusters).set(changes).where(eq(failureClusters.id, cluster.id)).returning()
      : await tx.select().from(failureClusters).where(eq(failureClusters.id, cluster.id))
    return toTriage(updated!)
  })
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
}

/**
 * Recomputes the counters of these clusters from their stored results (after a merge or a re-clustering): the
 * ingest path keeps them current incrementally, this is the slow, exact way.
 */
export async function recountClusters(tx: Tx, clusterIds: string[]): Promise<void> {
  if (!clusterIds.length) return
  const ids = uuidArray(clusterIds)
  await tx.execute(sql`delete from cluster_test_cases where cluster_id = any(${ids}::uuid[])`)
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

interface StaleResult {
  id: string
  cluster_id: string
  error_message: string | null
  error_stack: string | null
}

/**
 * After a fingerprint algorithm change, re-fingerprints the failures of clusters made by an older version. A
 * cluster keeps its id, status and notes when its failures still agree on one fingerprint (the old one becomes
 * an alias); failures that now belong elsewhere move to the matching cluster, created if needed; a cluster left
 * empty is folded into where most of its failures went. Returns how many clusters were re-examined.
 */
export async function reclusterStaleFingerprints(): Promise<number> {
  const db = await useDb()
  const stale = await db.select({ id: failureClusters.id, projectId: failureClusters.projectId }).from(failureClusters)
    .where(and(lt(failureClusters.fingerprintVersion, FINGERPRINT_VERSION), isNull(failureClusters.mergedIntoId)))
  for (const { id } of stale) {
    await db.transaction(async (tx) => {
      const [cluster] = await tx.select().from(failureClusters).where(eq(failureClusters.id, id)).for('update')
      if (!cluster || cluster.mergedIntoId || cluster.fingerprintVersion >= FINGERPRINT_VERSION) return
      const results = rowsOf<StaleResult>(await tx.execute(sql`
        select id, cluster_id, error_message, error_stack from test_results where cluster_id = ${id}::uuid`))
      const groups = new Map<string, { fp: FailureFingerprint, ids: string[], sample: StaleResult }>()
      for (const r of results) {
        const fp = fingerprintFailure({ message: r.error_message, stack: r.error_stack })
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
          await tx.insert(clusterAliases).values({ projectId: cluster.projectId, fingerprint: g.fp.fingerprint, clusterId: id }).onConflictDoNothing()
          kept = true
        }
        touched.add(destination)
        await tx.execute(sql`update test_results set fingerprint = ${g.fp.fingerprint}, cluster_id = ${destination}::uuid
          where id = any(${uuidArray(g.ids)}::uuid[])`)
      }
      if (!kept) {
        const into = [...touched].find(t => t !== id)
        if (into) await foldCluster(tx, id, into, cluster.projectId)
        else await tx.update(failureClusters).set({ fingerprintVersion: FINGERPRINT_VERSION }).where(eq(failureClusters.id, id))
      }
      await recountClusters(tx, [...touched])
    })
  }
  return stale.length
}

/**
 * Gives a cluster the signature of the new algorithm; its old fingerprint stays as an alias. When another row
 * (a cluster merged away earlier) still holds the new fingerprint, the alias alone routes it here.
 */
async function rekeyCluster(tx: Tx, cluster: typeof failureClusters.$inferSelect, fp: FailureFingerprint) {
  await tx.insert(clusterAliases).values({ projectId: cluster.projectId, fingerprint: cluster.fingerprint, clusterId: cluster.id }).onConflictDoNothing()
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

async function createCluster(tx: Tx, from: typeof failureClusters.$inferSelect, fp: FailureFingerprint, sample: StaleResult): Promise<string> {
  const [row] = await tx.insert(failureClusters).values({
    projectId: from.projectId, fingerprint: fp.fingerprint, fingerprintVersion: fp.version, errorType: fp.errorType, category: fp.category,
    title: fp.title, locator: fp.locator, location: fp.location, sampleMessage: sample.error_message, sampleStack: sample.error_stack,
    firstSeenAt: from.firstSeenAt, lastSeenAt: from.lastSeenAt,
  }).returning({ id: failureClusters.id })
  return row!.id
}
