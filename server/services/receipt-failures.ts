import { eq, sql } from 'drizzle-orm'
import { schema, type Tx } from '../db'
import { rowsOf } from '../db/sql'
import { links } from '#shared/links'
import { namedApart } from '#shared/test-names'
import type { IngestReceipt, ReceiptFailureGroup } from '#shared/types/ingest'
import type { FailureGroupView } from '#shared/types/reads'
import { receiptFailures, quarantineJoin } from './quarantine'
import { failureGroups, KNOWN_FAILURE } from './runs'

/**
 * The failure part of an ingest receipt, with a link on everything it names: the run's failures grouped by cause (the
 * same grouping as the run page and get_run), each failed test marked new or already failing on the default branch
 * before this run (as its upload judged it: run-results.ts alreadyFailingOf), and the blocking/quarantined split.
 * What a CI comment or job summary renders without a second call.
 */

const { projects, testResults, testCases, quarantines } = schema

/** Failure groups a receipt lists, biggest first; the rest are counted. */
const RECEIPT_GROUPS = 20

type RunRow = typeof schema.runs.$inferSelect
type ReceiptFailurePart = Pick<IngestReceipt, 'newClusters' | 'newlyFlaky' | 'failures' | 'failureGroups'>
type Notes = Pick<IngestReceipt, 'newClusters' | 'newlyFlaky'> & { uploadCases?: string[] }

/**
 * The new/known counts over the run's blocking failures, and which of its failed tests are quarantined: the groups'
 * counts over every failure (each judged when stored, test_results.known_failure) less the quarantined failures'.
 */
async function novelty(tx: Tx, run: RunRow, groups: FailureGroupView[]) {
  const quarantined = rowsOf<{ test_case_id: string, known: boolean }>(await tx.execute(sql`
    select ${testResults.testCaseId} as test_case_id, ${KNOWN_FAILURE} as known
    from ${quarantines} join ${testCases} on ${quarantineJoin.on}
      join ${testResults} on ${testResults.testCaseId} = ${testCases.id} and ${testResults.runId} = ${run.id}::uuid
        and ${testResults.runStartedAt} = ${run.startedAt.toISOString()}::timestamptz
    where ${quarantines.projectId} = ${run.projectId}::uuid and ${testResults.status} in ('failed', 'errored')`))
  const failures = groups.reduce((n, g) => n + g.failures, 0)
  const fresh = groups.reduce((n, g) => n + g.newFailures, 0)
  const known = quarantined.filter(q => q.known).length
  return {
    counts: { new: fresh - (quarantined.length - known), known: failures - fresh - known },
    quarantined: new Set(quarantined.map(q => q.test_case_id)),
  }
}

/** The receipt's failures, failure groups, new clusters and newly flaky tests, each linked to its page under `baseUrl`. */
export async function receiptFailureReport(tx: Tx, run: RunRow, baseUrl: string, notes: Notes): Promise<ReceiptFailurePart> {
  const testUrl = (id: string) => `${baseUrl}${links.testCase(id)}`
  const [project] = await tx.select({ defaultBranch: projects.defaultBranch }).from(projects).where(eq(projects.id, run.projectId))
  const defaultBranch = project?.defaultBranch ?? 'main'
  const failing = (await failureGroups(tx, run.id)).filter(g => g.failures > 0)
  const shown = failing.slice(0, RECEIPT_GROUPS)
  const split = await novelty(tx, run, failing)
  const failures = await receiptFailures(tx, run.projectId, run.id, notes.uploadCases)
  const groups = shown.map((g): ReceiptFailureGroup => {
    const tests = g.tests.filter(t => !t.flaky).map(t => ({
      testCaseId: t.testCaseId, title: t.title, ...namedApart(t), variant: t.variant, url: testUrl(t.testCaseId),
      quarantined: split.quarantined.has(t.testCaseId), known: t.knownFailure,
    })).sort((a, b) => Number(a.known) - Number(b.known))
    return {
      clusterId: g.clusterId, title: g.title, category: g.category, url: g.clusterId ? `${baseUrl}${links.cluster(g.clusterId)}` : null,
      failures: g.failures, flaky: g.flaky, newCause: g.newCause, tests, more: g.failures - tests.length,
    }
  })
  const rest = failing.slice(RECEIPT_GROUPS)
  return {
    newClusters: notes.newClusters.map(c => ({ ...c, url: `${baseUrl}${links.cluster(c.id)}` })),
    newlyFlaky: notes.newlyFlaky.map(t => ({ ...t, url: testUrl(t.testCaseId) })),
    failures: {
      blocking: failures.blocking.map(t => ({ ...t, url: testUrl(t.testCaseId) })),
      quarantined: failures.quarantined.map(t => ({ ...t, url: testUrl(t.testCaseId) })),
      counts: failures.counts,
      ...failures.thisUpload ? { thisUpload: failures.thisUpload } : {},
    },
    failureGroups: {
      defaultBranch, novelty: split.counts, groups,
      more: { groups: rest.length, failures: rest.reduce((n, g) => n + g.failures, 0) },
    },
  }
}
