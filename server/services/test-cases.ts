import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm'
import { useDb, schema } from '../db'
import type { GetTestCaseQuery, ListFlakyTestsPageQuery } from '#shared/schemas/reads'
import type { FlakyTestView, Page, TestCaseDetail } from '#shared/types/reads'
import { notFound } from '../utils/errors'
import { decodeCursor, toPage } from './pagination'
import { requireProject } from './projects'
import { clipError, FAILED_RESULT } from './runs'
import { inScope, type Scope } from './scope'

const { testCases, testResults, runs, projects, clusterTestCases, failureClusters } = schema

type CaseRow = typeof testCases.$inferSelect

function toFlakyView(t: CaseRow, project: string): FlakyTestView {
  return {
    testCaseId: t.id, project, title: t.title, suitePath: t.suitePath, file: t.file, variant: t.variant, label: t.flakyLabel,
    score: t.flakyScore, confidence: t.flakyConfidence, sample: t.flakySample, retryPasses: t.flakyRetryPasses, flips: t.flakyFlips,
    mixedCommits: t.flakyMixedCommits,
    lastFlakeAt: t.lastFlakeAt?.toISOString() ?? null, lastFailureAt: t.lastFailureAt?.toISOString() ?? null,
  }
}

/**
 * Test cases of a project ranked by flakiness score (then id), read from the rollup. With a branch, only those that
 * failed or passed on retry in a run of that branch (one index probe per candidate; no history is scanned otherwise).
 */
export async function listFlakyTests(scope: Scope, projectSlug: string, query: ListFlakyTestsPageQuery): Promise<Page<FlakyTestView>> {
  const project = await requireProject(scope, projectSlug)
  const after = decodeCursor<number>(query.cursor, 'number')
  const db = await useDb()
  const label = query.label === 'any' ? gt(testCases.flakyScore, 0) : eq(testCases.flakyLabel, query.label)
  const rows = await db.select().from(testCases)
    .where(and(eq(testCases.projectId, project.id), label,
      query.branch
        ? sql`exists (select 1 from ${testResults} join ${runs} on ${runs.id} = ${testResults.runId} where ${testResults.testCaseId} = ${testCases.id} and ${runs.branch} = ${query.branch} and (${testResults.flaky} or ${testResults.status} in ('failed', 'errored')))`
        : undefined,
      after ? sql`(${testCases.flakyScore} < ${after.key}::real or (${testCases.flakyScore} = ${after.key}::real and ${testCases.id} > ${after.id}::uuid))` : undefined))
    .orderBy(desc(testCases.flakyScore), testCases.id).limit(query.limit + 1)
  return toPage(rows, query.limit, r => toFlakyView(r, project.slug), r => [r.flakyScore, r.id])
}

/** One test case: its flakiness with the evidence, recent history, the clusters it belongs to and its last error. */
export async function getTestCase(scope: Scope, testCaseId: string, query: GetTestCaseQuery): Promise<TestCaseDetail> {
  const db = await useDb()
  const [row] = await db.select({ t: testCases, slug: projects.slug })
    .from(testCases).innerJoin(projects, eq(projects.id, testCases.projectId))
    .where(and(eq(testCases.id, testCaseId), inScope(scope, testCases.projectId))).limit(1)
  if (!row) throw notFound('No test case with this id visible to you.', 'test_case_not_found')
  const { t, slug } = row
  const [history, clusters, [last]] = await Promise.all([
    db.select({
      id: testResults.id, testCaseId: testResults.testCaseId, status: testResults.status, flaky: testResults.flaky,
      attempts: testResults.attemptCount, durationMs: testResults.durationMs, errorMessage: testResults.errorMessage,
      clusterId: testResults.clusterId, runId: testResults.runId,
      branch: runs.branch, commit: runs.commitSha, startedAt: testResults.runStartedAt,
    }).from(testResults).innerJoin(runs, eq(runs.id, testResults.runId))
      .where(eq(testResults.testCaseId, t.id)).orderBy(desc(testResults.runStartedAt), desc(testResults.id)).limit(query.history),
    db.select({
      id: failureClusters.id, title: failureClusters.title, category: failureClusters.category, status: failureClusters.status,
      occurrences: clusterTestCases.occurrences,
    }).from(clusterTestCases).innerJoin(failureClusters, eq(failureClusters.id, clusterTestCases.clusterId))
      .where(and(eq(clusterTestCases.testCaseId, t.id), isNull(failureClusters.mergedIntoId))).orderBy(desc(clusterTestCases.lastSeenAt)),
    db.select({
      resultId: testResults.id, runId: testResults.runId, message: testResults.errorMessage, stack: testResults.errorStack,
      steps: testResults.steps, at: testResults.runStartedAt,
    }).from(testResults).where(and(eq(testResults.testCaseId, t.id), FAILED_RESULT))
      .orderBy(desc(testResults.runStartedAt), desc(testResults.id)).limit(1),
  ])
  return {
    ...toFlakyView(t, slug), projectId: t.projectId, failedRuns: t.failedRuns, flakyRuns: t.flakyRuns, evidence: t.flakyEvidence,
    history: history.map(({ errorMessage, ...h }) => ({
      ...h, title: t.title, suitePath: t.suitePath, file: t.file, variant: t.variant, startedAt: h.startedAt.toISOString(),
      ...clipError(errorMessage),
    })),
    clusters,
    lastError: last ? { ...last, steps: last.steps ?? null, at: last.at.toISOString() } : null,
  }
}
