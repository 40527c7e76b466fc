import { eq, sql } from 'drizzle-orm'
import { schema, type Tx } from '../db'
import { rowsOf, uuidArray } from '../db/sql'
import { links } from '#shared/links'
import type { IngestReceipt, ReceiptFailureGroup } from '#shared/types/ingest'
import { receiptFailures, quarantineJoin } from './quarantine'
import { alreadyFailing, failureGroups } from './runs'

/**
 * The failure part of an ingest receipt, with a link on everything it names: the run's failures grouped by cause (the
 * same grouping as the run page and get_run), each failed test marked new or already failing on the default branch
 * before this run (alreadyFailing, the run page's rule), and the blocking/quarantined split. What a CI comment or job
 * summary renders without a second call.
 */

const { projects, testResults, testCases, quarantines } = schema

/** Failure groups a receipt lists, biggest first; the rest are counted. */
const RECEIPT_GROUPS = 20

type RunRow = typeof schema.runs.$inferSelect
type ReceiptFailurePart = Pick<IngestReceipt, 'newClusters' | 'newlyFlaky' | 'failures' | 'failureGroups'>
type Notes = Pick<IngestReceipt, 'newClusters' | 'newlyFlaky'>

interface NoveltyRow {
  new_total: number
  known_total: number
  test_case_id: string | null
}

/**
 * The new/known counts over every blocking failure of the run (known: already failing on the default branch before
 * this run, alreadyFailing, which the groups' tests carry as knownFailure), and which listed tests are quarantined.
 */
async function novelty(tx: Tx, run: RunRow, listed: string[]) {
  const rows = rowsOf<NoveltyRow>(await tx.execute(sql`
    with failed as (
      select ${testCases.id} as test_case_id, (${alreadyFailing(sql`${run.id}::uuid`, sql`${testCases.id}`)}) as known,
        ${quarantines.testCaseId} is not null as quarantined
      from ${testResults} join ${testCases} on ${testCases.id} = ${testResults.testCaseId}
      left join ${quarantines} on ${quarantineJoin.on}
      where ${testResults.runId} = ${run.id}::uuid and ${testResults.projectId} = ${run.projectId}::uuid
        and ${testResults.status} in ('failed', 'errored')
    )
    select t.new_total, t.known_total, f.test_case_id
    from (select count(*) filter (where not known and not quarantined)::int as new_total,
      count(*) filter (where known and not quarantined)::int as known_total from failed) t
    left join failed f on f.quarantined and f.test_case_id = any(${uuidArray(listed)}::uuid[])`))
  return {
    counts: { new: rows[0]?.new_total ?? 0, known: rows[0]?.known_total ?? 0 },
    quarantined: new Set(rows.flatMap(r => r.test_case_id ? [r.test_case_id] : [])),
  }
}

/** The receipt's failures, failure groups, new clusters and newly flaky tests, each linked to its page under `baseUrl`. */
export async function receiptFailureReport(tx: Tx, run: RunRow, baseUrl: string, notes: Notes): Promise<ReceiptFailurePart> {
  const testUrl = (id: string) => `${baseUrl}${links.testCase(id)}`
  const [project] = await tx.select({ defaultBranch: projects.defaultBranch }).from(projects).where(eq(projects.id, run.projectId))
  const defaultBranch = project?.defaultBranch ?? 'main'
  const failing = (await failureGroups(tx, run.id)).filter(g => g.failures > 0)
  const shown = failing.slice(0, RECEIPT_GROUPS)
  const listed = shown.flatMap(g => g.tests.filter(t => !t.flaky).map(t => t.testCaseId))
  const known = await novelty(tx, run, listed)
  const failures = await receiptFailures(tx, run.projectId, run.id)
  const groups = shown.map((g): ReceiptFailureGroup => {
    const tests = g.tests.filter(t => !t.flaky).map(t => ({
      testCaseId: t.testCaseId, title: t.title, variant: t.variant, url: testUrl(t.testCaseId),
      quarantined: known.quarantined.has(t.testCaseId), known: t.knownFailure,
    })).sort((a, b) => Number(a.known) - Number(b.known))
    return {
      clusterId: g.clusterId, title: g.title, category: g.category, url: g.clusterId ? `${baseUrl}${links.cluster(g.clusterId)}` : null,
      failures: g.failures, newCause: g.newCause, tests, more: g.failures - tests.length,
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
    },
    failureGroups: {
      defaultBranch, novelty: known.counts, groups,
      more: { groups: rest.length, failures: rest.reduce((n, g) => n + g.failures, 0) },
    },
  }
}
