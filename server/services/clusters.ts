import { and, desc, eq, inArray, isNull, sql, type Placeholder, type SQL } from 'drizzle-orm'
import { NO_OWNER } from '#shared/constants'
import type { GroupedPage } from '#shared/types/explorer'
import { readOrPrimary, useDb, useReadDb, schema, type Db, type Tx } from '../db'
import { hasValue, runKept, slot, type Has } from '../db/kept'
import { rowsOf } from '../db/sql'
import type { ListClustersPageQuery } from '#shared/schemas/reads'
import type { ClusterDetail, ClusterSummary, RunRefView } from '#shared/types/reads'
import { notFound } from '../utils/errors'
import { decodeCursor, listOf, toPage } from './pagination'
import { requireProject, UNRESOLVED } from './projects'
import { ownerGroupRows, toOwnerGroups } from './owner-groups'
import { inScope, inScopeSlot, scopeSlot, type Scope } from './scope'
import { clusterTextLike, likePattern } from './search'

const { failureClusters, projects, clusterRuns, clusterTestCases, testCases, testResults, diagnoses, projectCodeowners } = schema

type ClusterRow = typeof failureClusters.$inferSelect
const CLUSTER_NOT_FOUND = 'No failure cluster with this id visible to you (a merged cluster lives on in the one it was merged into).'
/** Affected tests listed with a cluster, most frequent first; `affectedTests` gives the total. */
const AFFECTED_LISTED = 20

function toSummary(c: ClusterRow, project: string, retryPasses: number): ClusterSummary {
  return {
    id: c.id, project, title: c.title, errorType: c.errorType, category: c.category, status: c.status, occurrences: c.occurrences,
    // an outage's tests that all passed when run again are not a flaky cause: it went away, the tests did not flake
    retryPasses, flaky: retryPasses > 0 && retryPasses >= c.occurrences && c.category !== 'infrastructure',
    affectedTests: c.affectedTests, branches: c.branches, firstSeenAt: c.firstSeenAt.toISOString(), lastSeenAt: c.lastSeenAt.toISOString(),
    lastSeenRunId: c.lastSeenRunId, issueUrl: c.issueUrl, locator: c.locator, location: c.location,
  }
}

/**
 * How many of a cluster's occurrences are results that passed on retry (the rest failed), read with the cluster.
 * Counted from the stored results by an index-only scan of test_results_cluster_flaky_idx (no counter column holds it).
 * The outer table is named in full: drizzle writes a column of a one-table select without its table, which inside
 * this subquery would mean the result's own id.
 */
const RETRY_PASSES = sql<number>`(select count(*)::int from ${testResults} r
  where r.cluster_id = "failure_clusters"."id" and r.cluster_id is not null and r.flaky)`

/**
 * The owners of the outer cluster's affected tests (from CODEOWNERS), by name, read with the cluster (table named as
 * RETRY_PASSES). Each affected test's owners are looked up by its id: as a join, the planner hashed every test case of
 * the database for each cluster (0.17 ms a cluster at 500 test cases, growing with them). A test's owners come only
 * from its project's stored CODEOWNERS (./owners.ts), so a project without one skips the lookups (0.08 ms a cluster of
 * 29 affected tests: most of list_clusters' time in Postgres).
 */
const CLUSTER_OWNERS = sql<string[]>`(case when exists (select 1 from ${projectCodeowners} pc
    where pc.project_id = "failure_clusters"."project_id")
  then (select coalesce(array_agg(distinct o order by o), '{}') from ${clusterTestCases} ct
    cross join lateral unnest((select t.owners from ${testCases} t where t.id = ct.test_case_id)) o
    where ct.cluster_id = "failure_clusters"."id")
  else '{}' end)`

/**
 * Failure clusters of a project, most recently seen first; merged-away clusters are not listed. One kept statement
 * (../db/kept.ts): the project is found inside it, and only an empty page asks whether the project exists (404) or has
 * no such clusters.
 */
export async function listClusters(scope: Scope, projectSlug: string, query: ListClustersPageQuery): Promise<GroupedPage<ClusterSummary>> {
  const list = listOf('clusters', projectSlug, query.query, query.status, query.category, query.owner, query.firstSeenAfter, query.lastSeenAfter)
  const after = query.groupBy ? null : decodeCursor<string>(query.cursor, 'timestamp', list)
  const values: Record<string, string | number | null | undefined> = {
    ...scopeSlot(scope), slug: projectSlug, category: query.category,
    status: query.status === 'unresolved' ? undefined : query.status, unresolved: query.status === 'unresolved' ? 'yes' : undefined,
    firstSeenAfter: query.firstSeenAfter, lastSeenAfter: query.lastSeenAfter,
    pattern: query.query && likePattern(query.query),
    owner: query.owner === NO_OWNER ? undefined : query.owner, noOwner: query.owner === NO_OWNER ? 'yes' : undefined,
    afterKey: after?.key, afterId: after?.id, limit: query.limit + 1,
  }
  if (query.groupBy) {
    const filter = clusterFilter(hasValue(values), name => values[name] as string, inScope(scope, projects.id))
    return groupedClusters(scope, projectSlug, filter, query.limit)
  }
  const db = await useReadDb()
  const rows = await runKept(db, 'clusters', values, has => db
    .select({ c: failureClusters, retryPasses: RETRY_PASSES, owners: CLUSTER_OWNERS }).from(failureClusters)
    .where(and(clusterFilter(has, slot, inScopeSlot(has, projects.id)), has('afterKey')
      ? sql`(${failureClusters.lastSeenAt}, ${failureClusters.id}) < (${slot('afterKey')}::timestamptz, ${slot('afterId')}::uuid)`
      : undefined))
    .orderBy(desc(failureClusters.lastSeenAt), desc(failureClusters.id)).limit(slot('limit')))
  if (!rows.length) await requireProject(scope, projectSlug)
  const toItem = (r: (typeof rows)[number]) => ({ ...toSummary(r.c, projectSlug, r.retryPasses), owners: r.owners })
  return toPage(rows, query.limit, toItem, r => [r.c.lastSeenAt.toISOString(), r.c.id], list)
}

/**
 * The live clusters of the project `slug` that listClusters' filters keep, each filter's value given by `value` (a
 * slot of a kept statement, or the value itself), the project found where `visible` holds.
 */
function clusterFilter(has: Has, value: (name: string) => string | Placeholder, visible: SQL): SQL | undefined {
  return and(
    sql`${failureClusters.projectId} = (select ${projects.id} from ${projects} where ${projects.slug} = ${value('slug')} and ${visible})`,
    isNull(failureClusters.mergedIntoId),
    has('status') ? sql`${failureClusters.status} = ${value('status')}` : undefined,
    has('unresolved') ? UNRESOLVED : undefined,
    has('firstSeenAfter') ? sql`${failureClusters.firstSeenAt} > ${value('firstSeenAfter')}::timestamptz` : undefined,
    has('lastSeenAfter') ? sql`${failureClusters.lastSeenAt} > ${value('lastSeenAfter')}::timestamptz` : undefined,
    has('category') ? sql`${failureClusters.category} = ${value('category')}` : undefined,
    has('pattern') ? clusterTextLike(value('pattern')) : undefined,
    has('owner') ? ownedBy(value('owner')) : has('noOwner') ? OWNED_BY_NO_ONE : undefined,
  )
}

/** The filtered clusters in sections per owner of their affected tests (services/owner-groups.ts). */
async function groupedClusters(
  scope: Scope, projectSlug: string, filter: SQL | undefined, perGroup: number,
): Promise<GroupedPage<ClusterSummary>> {
  await requireProject(scope, projectSlug)
  const db = await useReadDb()
  const list = db.select({ id: failureClusters.id, lastSeenAt: failureClusters.lastSeenAt, owners: CLUSTER_OWNERS.as('owners') })
    .from(failureClusters).where(filter)
  const grouped = await ownerGroupRows<{ id: string }>(list, sql`x.last_seen_at desc, x.id desc`, perGroup)
  const ids = [...new Set(grouped.map(r => r.id))]
  const rows = ids.length
    ? await db.select({ c: failureClusters, retryPasses: RETRY_PASSES, owners: CLUSTER_OWNERS }).from(failureClusters)
        .where(inArray(failureClusters.id, ids))
    : []
  const byId = new Map(rows.map(r => [r.c.id, { ...toSummary(r.c, projectSlug, r.retryPasses), owners: r.owners }]))
  return { items: [], nextCursor: null, groups: toOwnerGroups(grouped, r => byId.get(r.id)) }
}

/** The cluster affected a test of `owner` (a value or a slot). */
const ownedBy = (owner: string | Placeholder) => sql`${failureClusters.id} in (select ${clusterTestCases.clusterId} from ${clusterTestCases}
    join ${testCases} on ${testCases.id} = ${clusterTestCases.testCaseId} where ${owner}::text = any(${testCases.owners}))`

/** No affected test of the cluster has an owner (the `none` owner filter). */
const OWNED_BY_NO_ONE = sql`not exists (select 1 from ${clusterTestCases} join ${testCases} on ${testCases.id} = ${clusterTestCases.testCaseId}
    where ${clusterTestCases.clusterId} = ${failureClusters.id} and cardinality(${testCases.owners}) > 0)`

export type ClusterWithProject = ClusterRow & { projectSlug: string }

/** A live (not merged-away) cluster the caller may see, with its project's slug; null otherwise. */
export async function findCluster(scope: Scope, clusterId: string): Promise<ClusterWithProject | null> {
  const db = await useDb()
  const [row] = await db.select({ c: failureClusters, slug: projects.slug }).from(failureClusters)
    .innerJoin(projects, eq(projects.id, failureClusters.projectId))
    .where(and(eq(failureClusters.id, clusterId), inScope(scope, failureClusters.projectId), isNull(failureClusters.mergedIntoId))).limit(1)
  return row ? { ...row.c, projectSlug: row.slug } : null
}

/** The 404 for a cluster the caller cannot see or that was merged away; one code wherever a cluster is looked up. */
export function clusterNotFound(message = CLUSTER_NOT_FOUND) {
  return notFound(message, 'cluster_not_found')
}

/** Like findCluster, but a cluster the caller cannot see is a 404 (one merged away names its cluster: clusterMissing). */
export async function requireCluster(scope: Scope, clusterId: string): Promise<ClusterWithProject> {
  const cluster = await findCluster(scope, clusterId)
  if (!cluster) throw await clusterMissing(scope, clusterId)
  return cluster
}

/**
 * The 404 for a cluster id that names no live cluster the caller sees. A cluster merged into another names the one its
 * failures live in now (`data.mergedInto`): receipts, comments, webhooks and issues link the id they were given, and
 * the cluster page follows it.
 */
export async function clusterMissing(scope: Scope, clusterId: string, db?: Tx) {
  const into = await mergedInto(scope, clusterId, db)
  return into
    ? notFound(`This failure cluster was merged into cluster ${into}, which holds its failures now: read that one.`, 'cluster_merged', { mergedInto: into })
    : clusterNotFound()
}

/** One cluster with its signature, the tests it hits, its occurrences per day and its latest diagnosis. */
export async function getCluster(scope: Scope, clusterId: string): Promise<ClusterDetail> {
  // a cluster the replica has not replayed yet (one an upload just made) is read on the primary
  const found = await readOrPrimary(db => readCluster(db, scope, clusterId))
  if (!found) throw await clusterMissing(scope, clusterId)
  return found
}

/**
 * The live cluster a merged-away one lives on in, in the caller's scope; null for any other id. One step: a merge
 * points the clusters merged into its source at its target (clustering.ts foldCluster), so none chains.
 */
async function mergedInto(scope: Scope, clusterId: string, tx?: Tx): Promise<string | null> {
  // inside a transaction, on it: the embedded database has one connection, which the transaction holds
  const db = tx ?? await useDb()
  const rows = rowsOf<{ id: string }>(await db.execute(sql`
    select t.id from ${failureClusters} join ${failureClusters} t on t.id = ${failureClusters.mergedIntoId} and t.merged_into_id is null
    where ${failureClusters.id} = ${clusterId}::uuid and ${inScope(scope, failureClusters.projectId)}`))
  return rows[0]?.id ?? null
}

/**
 * getCluster's four statements, sent together (one round trip instead of two): the cluster with its project's slug and
 * repository and its retry passes; its affected tests; its occurrences per day; its latest diagnosis. Each checks the
 * scope in SQL. Undefined when no such live cluster is visible.
 */
async function readCluster(db: Db, scope: Scope, clusterId: string): Promise<ClusterDetail | undefined> {
  const visible = sql`exists (select 1 from ${failureClusters} v where v.id = ${clusterId}::uuid and v.merged_into_id is null
    and ${inScope(scope, sql`v.project_id`)})`
  const utcDay = sql`(${clusterRuns.runStartedAt} at time zone 'UTC')::date`
  const [[row], affected, days, [diagnosis]] = await Promise.all([
    db.select({
      c: failureClusters, slug: projects.slug, retryPasses: RETRY_PASSES,
      url: projects.repositoryUrl, defaultBranch: projects.defaultBranch,
    }).from(failureClusters).innerJoin(projects, eq(projects.id, failureClusters.projectId))
      .where(and(eq(failureClusters.id, clusterId), inScope(scope, failureClusters.projectId), isNull(failureClusters.mergedIntoId)))
      .limit(1),
    db.select({
      testCaseId: clusterTestCases.testCaseId, title: testCases.title, suitePath: testCases.suitePath, variant: testCases.variant,
      occurrences: clusterTestCases.occurrences, lastSeenAt: clusterTestCases.lastSeenAt,
      flakyLabel: testCases.flakyLabel, flakyScore: testCases.flakyScore,
      failingSince: sql<RunRefView | null>`case when ${testCases.flakyLabel} = 'broken' then ${testCases.failingSince} end`,
    }).from(clusterTestCases).innerJoin(testCases, eq(testCases.id, clusterTestCases.testCaseId))
      .where(and(eq(clusterTestCases.clusterId, clusterId), visible))
      .orderBy(desc(clusterTestCases.occurrences), clusterTestCases.testCaseId).limit(AFFECTED_LISTED),
    // from the per-run rollup kept at ingest (cluster_runs), not the cluster's results; grouped by date, formatted once a day
    db.select({
      day: sql<string>`to_char(${utcDay}, 'YYYY-MM-DD')`,
      count: sql<number>`sum(${clusterRuns.hits})::int`,
    })
      .from(clusterRuns).where(and(
        eq(clusterRuns.projectId, sql`(select v.project_id from ${failureClusters} v where v.id = ${clusterId}::uuid)`),
        eq(clusterRuns.clusterId, clusterId), sql`${clusterRuns.runStartedAt} > now() - interval '90 days'`, visible))
      .groupBy(utcDay).orderBy(utcDay),
    db.select({
      id: diagnoses.id, version: diagnoses.version, engine: diagnoses.engine, category: diagnoses.category, summary: diagnoses.summary,
      confidence: diagnoses.confidence, createdAt: diagnoses.createdAt,
    })
      .from(diagnoses).where(and(eq(diagnoses.clusterId, clusterId), visible)).orderBy(desc(diagnoses.version)).limit(1),
  ])
  if (!row) return undefined
  const { c, slug } = row
  return {
    ...toSummary(c, slug, row.retryPasses), repository: row.url ? { url: row.url, defaultBranch: row.defaultBranch } : null,
    fingerprint: c.fingerprint, sampleMessage: c.sampleMessage, sampleStack: c.sampleStack,
    firstSeenRunId: c.firstSeenRunId, statusNote: c.statusNote,
    statusChangedAt: c.statusChangedAt?.toISOString() ?? null,
    affected: affected.map(a => ({ ...a, lastSeenAt: a.lastSeenAt.toISOString() })),
    occurrencesByDay: days,
    diagnosis: diagnosis ? { ...diagnosis, createdAt: diagnosis.createdAt.toISOString() } : null,
  }
}
