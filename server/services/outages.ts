import { and, eq, inArray, sql } from 'drizzle-orm'
import { schema, type Tx } from '../db'
import { plainArray } from '../db/sql'
import { isInfrastructureRun, mostlyFailing, outageOf, type FailureCause, type RunFailures } from '../analysis/flakiness'
import { FAILING } from '../ingest/merge'
import type { ParsedResult } from '../ingest/types'
import type { IngestReceipt, UploadOutage } from '#shared/types/ingest'
import { infraShare } from './flakiness'

/**
 * Outages judged where they happened (isInfrastructureRun, analysis/flakiness.ts): the run as a whole from its stored
 * results (runs.infra), and each upload of it (a shard, a job, a re-run of one) by itself, whose results that failed
 * only in an outage are marked (test_results.infra). Both are left out of flakiness alike, and the receipt says which
 * uploads were one (outagesOf).
 */

const { failureClusters, runUploads, testResults } = schema

/** Ids per statement: a uuid array of this many is one parameter, well under what a statement holds. */
const IDS = 10_000

type Outcome = Pick<ParsedResult, 'status' | 'flaky'>

/** This upload was an outage by itself: what the receipt says of it (IngestReceipt.outages). */
export type UploadOutageNote = Pick<UploadOutage, 'executed' | 'failed' | 'cause' | 'causeFailures' | 'error'>

/**
 * An upload's own results (before the run's earlier ones fold in), as the upload is judged by itself: an outage of one
 * shard or job (its service container died) in a run that is not one. `marked`: the test cases whose results would
 * then hold failures of the outage only.
 */
export interface UploadTally extends Omit<RunFailures, 'causes'> {
  causes: Map<string | null, FailureCause>
  marked: string[]
}

export const newTally = (): UploadTally => ({ executed: 0, failing: 0, causes: new Map(), marked: [] })

const failedOnce = (r: Outcome) => FAILING.has(r.status) || r.flaky

/** What a slice of the upload brings to its tally, each keyed by identity hash; `previous`: the run's results before it. */
interface SliceResults {
  own: Map<string, ParsedResult>
  previous: Map<string, Outcome & { infra: boolean }>
  caseIds: Map<string, string>
  /** The fingerprint of each failure's cluster. */
  fingerprints: Map<string, string>
}

/**
 * Adds a slice's own results to the upload's tally: executed, failed (or passed on retry), by cause (the failure's
 * fingerprint, with its error; failures without an error together). Returns the tests whose stored result keeps an
 * earlier upload's outage mark: failures of an outage only, and none of this upload's.
 */
export function tallyOwn(tally: UploadTally, { own, previous, caseIds, fingerprints }: SliceResults): Set<string> {
  const carried = new Set<string>()
  for (const [identityHash, r] of own) {
    const before = previous.get(identityHash)
    if (!failedOnce(r)) {
      if (before?.infra) carried.add(identityHash)
      if (r.status !== 'skipped') tally.executed++
      continue
    }
    tally.executed++
    tally.failing++
    // a test that had failed for another cause than an outage keeps that failure, whatever this upload was
    if (!before || before.infra || !failedOnce(before)) tally.marked.push(caseIds.get(identityHash)!)
    const key = (r.errorMessage || r.errorStack) ? fingerprints.get(identityHash) ?? null : null
    const cause = tally.causes.get(key)
    if (cause) cause.failures++
    else tally.causes.set(key, { failures: 1, message: key && r.errorMessage, stack: key && r.errorStack })
  }
  return carried
}

/**
 * Whether the upload was an outage by itself (what it failed with, for the receipt), or null; if so its results whose
 * failures are all the outage's are marked.
 */
export async function judgeUpload(tx: Tx, run: { id: string, startedAt: Date }, tally: UploadTally): Promise<UploadOutageNote | null> {
  const outage = outageOf({ ...tally, causes: [...tally.causes.values()] }, infraShare())
  if (!outage) return null
  for (let i = 0; i < tally.marked.length; i += IDS) {
    await tx.update(testResults).set({ infra: true }).where(and(eq(testResults.runId, run.id),
      eq(testResults.runStartedAt, run.startedAt), inArray(testResults.testCaseId, tally.marked.slice(i, i + IDS))))
  }
  return { executed: tally.executed, failed: tally.failing, cause: outage.cause, causeFailures: outage.failures, error: outage.error }
}

/**
 * Whether a run's stored results are an infrastructure failure: its failures counted by cluster (null: without one),
 * each cluster read by its sample error, which is loaded only once most of the run failed.
 */
export async function isOutage(tx: Tx, run: Omit<RunFailures, 'causes'>, failuresByCluster: Map<string | null, number>): Promise<boolean> {
  if (!mostlyFailing(run, infraShare())) return false
  const ids = [...failuresByCluster.keys()].filter((id): id is string => id !== null)
  const samples = new Map<string, { message: string | null, stack: string | null }>()
  for (let i = 0; i < ids.length; i += IDS) {
    const rows = await tx.select({ id: failureClusters.id, message: failureClusters.sampleMessage, stack: failureClusters.sampleStack })
      .from(failureClusters).where(inArray(failureClusters.id, ids.slice(i, i + IDS)))
    for (const r of rows) samples.set(r.id, { message: r.message, stack: r.stack })
  }
  const none = { message: null, stack: null }
  const causes = [...failuresByCluster].map(([id, failures]) => ({ failures, ...(id ? samples.get(id) ?? none : none) }))
  return isInfrastructureRun({ ...run, causes }, infraShare())
}

/** At most this many of a run's outage uploads in a receipt. */
const RECEIPT_OUTAGES = 20

/**
 * The receipt's `outages`: the run's uploads that were an outage by themselves (their notes say it), those of this
 * request (`these`: the uploads it stored, or sent again) first, then oldest first; absent when there was none.
 */
export async function outagesOf(tx: Tx, runId: string, these: string[]): Promise<Pick<IngestReceipt, 'outages'>> {
  const mine = sql<boolean>`${runUploads.uploadId} = any(${plainArray(these)}::uuid[])`
  const rows = await tx.select({
    upload: runUploads.uploadId, mine, index: runUploads.shardIndex, total: runUploads.shardTotal, job: runUploads.job,
    note: sql<UploadOutageNote | string>`${runUploads.notes}->'outage'`,
  }).from(runUploads).where(and(eq(runUploads.runId, runId), sql`${runUploads.notes}->'outage' is not null`))
    .orderBy(sql`${mine} desc`, runUploads.createdAt, runUploads.uploadId).limit(RECEIPT_OUTAGES)
  if (!rows.length) return {}
  return {
    outages: rows.map(r => ({
      upload: r.upload, thisUpload: r.mine, shard: r.index ? `${r.index}/${r.total}` : null, job: r.job,
      ...typeof r.note === 'string' ? JSON.parse(r.note) as UploadOutageNote : r.note,
    })),
  }
}
