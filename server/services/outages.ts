import { and, eq, inArray, sql } from 'drizzle-orm'
import { schema, type Tx } from '../db'
import { plainArray } from '../db/sql'
import { isInfrastructureRun, mostlyFailing, outageOf, type FailureCause, type RunFailures } from '../analysis/flakiness'
import { FAILING } from '../ingest/merge'
import type { ParsedResult } from '../ingest/types'
import type { IngestReceipt, UploadOutageFacts } from '#shared/types/ingest'
import { infraShare } from './flakiness'

/**
 * Outages judged where they happened (isInfrastructureRun, analysis/flakiness.ts): the run as a whole from its stored
 * results (runs.infra), and each upload of it (a shard, a job, a re-run of one) by itself, whose results that failed
 * only in an outage are marked (test_results.infra). Both are left out of flakiness alike, said in the receipt (the
 * uploads that were one: outagesOf), and counted apart in each test's runs failed (test_cases.outage_failed_runs and
 * outage_flaky_runs: outageCounts, recountRunOutages).
 */

const { failureClusters, runUploads, testResults } = schema

/** Ids per statement: a uuid array of this many is one parameter, well under what a statement holds. */
const IDS = 10_000

type Outcome = Pick<ParsedResult, 'status' | 'flaky'>

/**
 * What one test's results that were an outage's add to its counters (test_cases.outage_failed_runs and
 * outage_flaky_runs, the part of failed_runs and flaky_runs that were outages), counted as those are: a result failed
 * for good, or passed on retry.
 */
export interface OutageCount {
  id: string
  failed: number
  flaky: number
}

/** This upload was an outage by itself: what the receipt says of it (IngestReceipt.outages), and the run's read. */
export type UploadOutageNote = UploadOutageFacts

/**
 * An upload's own results (before the run's earlier ones fold in), as the upload is judged by itself: an outage of one
 * shard or job (its service container died) in a run that is not one. `marked`: the test cases whose results would
 * then hold failures of the outage only (with what each such result counts). `counts`: what the upload moves in its
 * tests' outage counters whatever it is judged, with the run's infrastructure flag as it was before it (`runInfra`).
 */
export interface UploadTally extends Omit<RunFailures, 'causes'> {
  causes: Map<string | null, FailureCause>
  runInfra: boolean
  marked: OutageCount[]
  counts: OutageCount[]
}

export const newTally = (runInfra: boolean): UploadTally =>
  ({ executed: 0, failing: 0, causes: new Map(), runInfra, marked: [], counts: [] })

const failedOnce = (r: Outcome) => FAILING.has(r.status) || r.flaky

/** What a result counts in its test's counters (update ./run-results.ts counterDeltas alike), negated with `sign` -1. */
const countOf = (id: string, r: Outcome, sign = 1): OutageCount =>
  ({ id, failed: sign * Number(FAILING.has(r.status)), flaky: sign * Number(r.flaky) })

/** What a slice of the upload brings to its tally, each keyed by identity hash; `previous`: the run's results before it. */
interface SliceResults {
  own: Map<string, ParsedResult>
  previous: Map<string, Outcome & { infra: boolean }>
  /** The results as they are stored: own folded with previous. */
  stored: Map<string, Outcome>
  caseIds: Map<string, string>
  /** The fingerprint of each failure's cluster. */
  fingerprints: Map<string, string>
}

/**
 * Adds a slice's own results to the upload's tally: executed, failed (or passed on retry), by cause (the failure's
 * fingerprint, with its error; failures without an error together). Returns the tests whose stored result keeps an
 * earlier upload's outage mark: failures of an outage only, and none of this upload's.
 */
export function tallyOwn(tally: UploadTally, { own, previous, stored, caseIds, fingerprints }: SliceResults): Set<string> {
  const carried = new Set<string>()
  for (const [identityHash, r] of own) {
    const before = previous.get(identityHash)
    const id = caseIds.get(identityHash)!
    const keepsMark = !failedOnce(r) && !!before?.infra
    if (keepsMark) carried.add(identityHash)
    countChange(tally, id, before, stored.get(identityHash)!, keepsMark)
    if (!failedOnce(r)) {
      if (r.status !== 'skipped') tally.executed++
      continue
    }
    tally.executed++
    tally.failing++
    // a test that had failed for another cause than an outage keeps that failure, whatever this upload was
    if (!before || before.infra || !failedOnce(before)) tally.marked.push(countOf(id, stored.get(identityHash)!))
    const key = (r.errorMessage || r.errorStack) ? fingerprints.get(identityHash) ?? null : null
    const cause = tally.causes.get(key)
    if (cause) cause.failures++
    else tally.causes.set(key, { failures: 1, message: key && r.errorMessage, stack: key && r.errorStack })
  }
  return carried
}

/** A test's outage counters as its result changes (before: the run's earlier result), whatever the upload is judged. */
function countChange(tally: UploadTally, id: string, before: (Outcome & { infra: boolean }) | undefined, now: Outcome, keepsMark: boolean) {
  const was = before && (tally.runInfra || before.infra) && failedOnce(before) ? countOf(id, before, -1) : null
  const is = (tally.runInfra || keepsMark) && failedOnce(now) ? countOf(id, now) : null
  const failed = (was?.failed ?? 0) + (is?.failed ?? 0)
  const flaky = (was?.flaky ?? 0) + (is?.flaky ?? 0)
  if (failed || flaky) tally.counts.push({ id, failed, flaky })
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
      eq(testResults.runStartedAt, run.startedAt), inArray(testResults.testCaseId, tally.marked.slice(i, i + IDS).map(m => m.id))))
  }
  return { executed: tally.executed, failed: tally.failing, cause: outage.cause, causeFailures: outage.failures, error: outage.error }
}

/**
 * What the upload moves in its tests' outage counters (test_cases.outage_failed_runs and outage_flaky_runs), once
 * judgeUpload has said whether it was an outage, by test: what their results changed, with the run's flag as it was (a
 * run whose flag the upload turns is recountRunOutages' too). Written with their other counters (./run-results.ts).
 */
export function outageCounts(tally: UploadTally, outage: boolean): Map<string, OutageCount> {
  const counts = new Map<string, OutageCount>()
  for (const c of outage && !tally.runInfra ? [...tally.counts, ...tally.marked] : tally.counts) {
    const seen = counts.get(c.id)
    if (!seen) counts.set(c.id, { ...c })
    else {
      seen.failed += c.failed
      seen.flaky += c.flaky
    }
  }
  for (const [id, c] of counts) if (!c.failed && !c.flaky) counts.delete(id)
  return counts
}

/**
 * A run that an upload turned into an infrastructure failure, or out of one: the failures of all its tests that no
 * upload's own outage marked (test_results.infra) move into the tests' outage counters, or back out of them.
 */
export async function recountRunOutages(tx: Tx, run: { id: string, startedAt: Date }, infra: boolean): Promise<void> {
  const sign = infra ? 1 : -1
  await tx.execute(sql`
    update test_cases tc set outage_failed_runs = tc.outage_failed_runs + ${sign} * x.failed,
      outage_flaky_runs = tc.outage_flaky_runs + ${sign} * x.flaky
    from (select test_case_id as id, (status in ('failed', 'errored'))::int as failed, flaky::int as flaky from ${testResults}
      where run_id = ${run.id}::uuid and run_started_at = ${run.startedAt.toISOString()}::timestamptz
        and (status in ('failed', 'errored') or flaky) and not infra) x
    where tc.id = x.id`)
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
