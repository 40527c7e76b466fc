import { and, desc, eq, sql } from 'drizzle-orm'
import { schema, type Tx } from '../db'
import { rowsOf, uuidArray } from '../db/sql'
import { links } from '#shared/links'
import type { IngestReceipt, ReceiptFailureGroup } from '#shared/types/ingest'
import { receiptFailures, quarantineJoin } from './quarantine'
import { failureGroups } from './runs'

/**
 * The failure part of an ingest receipt, with a link on everything it names: the run's failures grouped by cause (the
 * same grouping as the run page and get_run), each failed test marked new or already failing on the default branch,
 * and the blocking/quarantined split. What a CI comment or job summary renders without a second call.
 */

const { projects, runs, testResults, testCases, quarantines } = schema

/** Failure groups a receipt lists, biggest first; the rest are counted. */
const RECEIPT_GROUPS = 20

type RunRow = typeof runs.$inferSelect
type ReceiptFailurePart = Pick<IngestReceipt, 'newClusters' | 'newlyFlaky' | 'failures' | 'failureGroups'>
type Notes = Pick<IngestReceipt, 'newClusters' | 'newlyFlaky'>

interface NoveltyRow {
  new_total: number
  known_total: number
  test_case_id: string | null
  known: boolean | null
  quarantined: boolean | null
}

/**
 * Known on the default branch: labelled broken or flaky there before this run (a streak that began earlier, a flaky
 * label older than the run), or failed in the default branch's run it is compared with (previousOnDefault).
 */
function knownOnDefault(run: RunRow, previousId: string | undefined) {
  const failedThere = previousId
    ? sql`exists (select 1 from ${testResults} d where d.run_id = ${previousId}::uuid
        and d.test_case_id = ${testCases.id} and d.status in ('failed', 'errored'))`
    : sql`false`
  return sql`(${testCases.flakyBranch} = ${projects.defaultBranch} and (
      (${testCases.flakyLabel} = 'broken' and (${testCases.failingSince} is null or ${testCases.failingSince}->>'runId' <> ${run.id}))
      or (${testCases.flakyLabel} = 'flaky' and ${testCases.flakySince} < ${run.createdAt.toISOString()}::timestamptz)
    )) or ${failedThere}`
}

/** Whether each listed test is known and quarantined, and the new/known counts over every blocking failure of the run. */
async function novelty(tx: Tx, run: RunRow, previousId: string | undefined, listed: string[]) {
  const rows = rowsOf<NoveltyRow>(await tx.execute(sql`
    with failed as (
      select ${testCases.id} as test_case_id, (${knownOnDefault(run, previousId)}) as known,
        ${quarantines.testCaseId} is not null as quarantined
      from ${testResults} join ${testCases} on ${testCases.id} = ${testResults.testCaseId}
      join ${projects} on ${projects.id} = ${testCases.projectId}
      left join ${quarantines} on ${quarantineJoin.on}
      where ${testResults.runId} = ${run.id}::uuid and ${testResults.projectId} = ${run.projectId}::uuid
        and ${testResults.status} in ('failed', 'errored')
    )
    select t.new_total, t.known_total, f.test_case_id, f.known, f.quarantined
    from (select count(*) filter (where not known and not quarantined)::int as new_total,
      count(*) filter (where known and not quarantined)::int as known_total from failed) t
    left join failed f on f.test_case_id = any(${uuidArray(listed)}::uuid[])`))
  return {
    counts: { new: rows[0]?.new_total ?? 0, known: rows[0]?.known_total ?? 0 },
    tests: new Map<string, { known: boolean, quarantined: boolean }>(rows.filter(r => r.test_case_id)
      .map(r => [r.test_case_id!, { known: !!r.known, quarantined: !!r.quarantined }])),
  }
}

/**
 * The default branch's run to compare with: for a run of the default branch, the one before it; for a run of another
 * branch, the default branch's newest (it may have started after this one: it is what the branch merges into now).
 */
async function previousOnDefault(tx: Tx, run: RunRow, defaultBranch: string) {
  const before = run.branch === defaultBranch
    ? sql`(${runs.startedAt}, ${runs.id}) < (${run.startedAt.toISOString()}::timestamptz, ${run.id}::uuid)`
    : undefined
  const [previous] = await tx.select({ id: runs.id }).from(runs)
    .where(and(eq(runs.projectId, run.projectId), eq(runs.branch, defaultBranch), before))
    .orderBy(desc(runs.startedAt), desc(runs.id)).limit(1)
  return previous?.id
}

/** The receipt's failures, failure groups, new clusters and newly flaky tests, each linked to its page under `baseUrl`. */
export async function receiptFailureReport(tx: Tx, run: RunRow, baseUrl: string, notes: Notes): Promise<ReceiptFailurePart> {
  const testUrl = (id: string) => `${baseUrl}${links.testCase(id)}`
  const [project] = await tx.select({ defaultBranch: projects.defaultBranch }).from(projects).where(eq(projects.id, run.projectId))
  const defaultBranch = project?.defaultBranch ?? 'main'
  const previousId = await previousOnDefault(tx, run, defaultBranch)
  const failing = (await failureGroups(tx, run.id, previousId)).filter(g => g.failures > 0)
  const shown = failing.slice(0, RECEIPT_GROUPS)
  const listed = shown.flatMap(g => g.tests.filter(t => !t.flaky).map(t => t.testCaseId))
  const known = await novelty(tx, run, previousId, listed)
  const failures = await receiptFailures(tx, run.projectId, run.id)
  const groups = shown.map((g): ReceiptFailureGroup => {
    const tests = g.tests.filter(t => !t.flaky).map(t => ({
      testCaseId: t.testCaseId, title: t.title, variant: t.variant, url: testUrl(t.testCaseId),
      quarantined: known.tests.get(t.testCaseId)?.quarantined ?? false, known: known.tests.get(t.testCaseId)?.known ?? t.knownFailure,
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
