import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm'
import { useDb, schema } from '../db'
import type { AttentionQuery } from '#shared/schemas/attention'
import type { Attention, AttentionCluster } from '#shared/types/attention'
import { inScope, type Scope } from './scope'

const { failureClusters, projects, testCases } = schema

const clusterColumns = {
  id: failureClusters.id, project: projects.slug, title: failureClusters.title, category: failureClusters.category,
  status: failureClusters.status, occurrences: failureClusters.occurrences, affectedTests: failureClusters.affectedTests,
  firstSeenAt: failureClusters.firstSeenAt, lastSeenAt: failureClusters.lastSeenAt,
}

const toCluster = (c: Omit<AttentionCluster, 'firstSeenAt' | 'lastSeenAt'> & { firstSeenAt: Date, lastSeenAt: Date }): AttentionCluster =>
  ({ ...c, firstSeenAt: c.firstSeenAt.toISOString(), lastSeenAt: c.lastSeenAt.toISOString() })

/** New failure clusters, regressed ones and newly flaky tests of the caller's projects over the last days. */
export async function listAttention(scope: Scope, query: AttentionQuery): Promise<Attention> {
  const db = await useDb()
  const since = new Date(Date.now() - query.days * 86_400_000)
  const live = and(inScope(scope, failureClusters.projectId), isNull(failureClusters.mergedIntoId))
  const [fresh, regressed, flaky] = await Promise.all([
    db.select(clusterColumns).from(failureClusters).innerJoin(projects, eq(projects.id, failureClusters.projectId))
      .where(and(live, gt(failureClusters.createdAt, since), sql`${failureClusters.status} in ('open', 'investigating')`))
      .orderBy(desc(failureClusters.createdAt), failureClusters.id).limit(query.limit),
    db.select(clusterColumns).from(failureClusters).innerJoin(projects, eq(projects.id, failureClusters.projectId))
      .where(and(live, eq(failureClusters.status, 'regressed')))
      .orderBy(desc(failureClusters.lastSeenAt), failureClusters.id).limit(query.limit),
    db.select({
      testCaseId: testCases.id, project: projects.slug, title: testCases.title, variant: testCases.variant,
      score: testCases.flakyScore, confidence: testCases.flakyConfidence, flakySince: testCases.flakySince,
    }).from(testCases).innerJoin(projects, eq(projects.id, testCases.projectId))
      .where(and(inScope(scope, testCases.projectId), gt(testCases.flakySince, since)))
      .orderBy(desc(testCases.flakySince), testCases.id).limit(query.limit),
  ])
  return {
    since: since.toISOString(),
    newClusters: fresh.map(toCluster),
    regressedClusters: regressed.map(toCluster),
    newlyFlaky: flaky.map(t => ({ ...t, flakySince: t.flakySince!.toISOString() })),
  }
}
