import { and, eq, inArray, sql } from 'drizzle-orm'
import { schema, type Tx } from '../db'
import { bulkWriter, type BulkColumn, type BulkRow } from '../db/bulk'
import { CHUNK, rowsJson, rowsOf, plainArray } from '../db/sql'
import { fingerprintFailure } from '../analysis/fingerprint'
import { clusterRole, FAILING, int4, mergeExecutions, mergeRepetitions, runStatusOf, testLabel, uuidv7, type MergedResult } from '../ingest/merge'
import type { ParsedResult } from '../ingest/types'
import type { RunCounts } from '#shared/types/ingest'
import { testName } from '#shared/test-names'
import { addClusterLinks, applyClusterLinks, resolveClusterHits, type ClusterHit, type ClusterLinks, type NewCluster } from './clustering'
import { UNDER_WATCH, type NewlyFlaky } from './flakiness'
import { stepDone } from '../utils/steps'
import { storeResultProperties } from './result-properties'
import { alreadyFailingOf } from './known-failures'
import { isOutage, judgeUpload, newTally, outageCounts, tallyOwn, type UploadOutageNote, type UploadTally } from './outages'
import { counterDeltas, updateCaseCounters, withOutageCounts, type CounterDelta } from './case-counters'

/**
 * The results of one run as stored: an upload's merged results written in bulk (test cases, cluster hits,
 * counters, results, attempts), earlier shards of the run read back to merge with, and the run's counts.
 */

const { runs, testCases, testResults, testAttempts, resultProperties, projectRollups } = schema

type RunRow = typeof runs.$inferSelect
/** Test case id by identity hash, for every test of the upload. */
type CaseIds = Map<string, string>
/**
 * A result this run already stores (an earlier shard), with the cluster it counted in, if any, its outage mark and
 * whether it failed after a pass of an earlier upload (passedEarlier).
 */
type StoredResult = ParsedResult & {
  id: string
  clusterId: string | null
  ciAttempt: number | null
  infra: boolean
  passedEarlier: boolean
}

/**
 * Bulk writes of an upload's rows in statements (new test cases as JSON, results on PGlite as COPY text) keep each
 * statement's text under this many characters, sizing the next statement by the last one: a longer string lives in
 * V8's large-object space until a full collection, and a 350k-result upload left a few hundred megabytes of them
 * behind before the collector ran (see the ingest figures in BENCHMARKS.md).
 */
const MAX_BATCH_CHARS = 64 * 1024
const FIRST_ROWS = 200
const nextRows = (chars: number, rows: number) => Math.max(1, Math.min(CHUNK, Math.floor(rows * MAX_BATCH_CHARS / Math.max(1, chars))))

/** Attempts stored per result: a report that repeats one test thousands of times keeps its last tries. */
const MAX_ATTEMPTS = 100

/** An upload's test cases that were not under watch when it read them (see nowWatched); `skipped`: skipped here. */
interface Unwatched {
  ids: string[]
  skipped: string[]
}

/** What storing an upload changed, for the rest of the ingest transaction and the receipt. */
interface StoredResults {
  newClusters: NewCluster[]
  /** Clusters with new evidence, to diagnose after the commit. */
  touchedClusters: string[]
  /** Test cases already under flakiness watch before this upload. */
  watched: string[]
  /** Test cases that failed or flaked in this upload, or whose result a shard merge changed. */
  failingOrFlaky: string[]
  /** A shard of a run that existed: the test cases it stored a result for (their day rollups are counted again). */
  stored: string[]
  /** Tests the run held from another upload of the same CI attempt (matrix legs), folded as repetitions. */
  legs: number
  /** This upload (a shard, a job) was an infrastructure failure by itself (what it failed with): its failures are marked as an outage's. */
  outage: UploadOutageNote | null
}

/**
 * How an upload relates to its run: the run's first upload, the CI's attempt it comes from, which of its job's shards
 * it is and the job (null: not said).
 */
export interface UploadOf {
  isNewRun: boolean
  ciAttempt: number | null
  shard: { index: number, total: number } | null
  job: string | null
}

/**
 * Stores the merged results of a new upload, a slice at a time (the upload's results are never all held at once):
 * folds in results this run already holds for the same tests (an earlier shard), upserts the test cases together
 * with their rollup counters, joins failures to their clusters, inserts results and attempts. Each test of the
 * upload is in exactly one slice, so what a slice does is what the whole upload would do for its tests.
 */
export async function storeResults(
  tx: Tx, projectId: string, run: RunRow, slices: Iterable<MergedResult[]> | AsyncIterable<MergedResult[]>, upload: UploadOf,
): Promise<StoredResults> {
  const { isNewRun } = upload
  const turnsBefore = await labelTurns(tx, projectId)
  const out: StoredResults = { newClusters: [], touchedClusters: [], watched: [], failingOrFlaky: [], stored: [], legs: 0, outage: null }
  const tally = newTally(run.infra)
  const created = new Set<string>()
  const touched = new Set<string>()
  const writes: LockingWrites = { links: new Map(), deltas: [] }
  const unwatched: Unwatched = { ids: [], skipped: [] }
  for await (const merged of slices) {
    const slice = await storeSlice(tx, projectId, run, merged, upload, writes, tally)
    out.legs += slice.legs
    for (const id of slice.created) created.add(id)
    for (const id of slice.touched) touched.add(id)
    out.watched.push(...slice.watched)
    out.failingOrFlaky.push(...slice.failingOrFlaky)
    if (!isNewRun) out.stored.push(...slice.caseIds.values())
    unwatched.ids.push(...slice.unwatched.ids)
    unwatched.skipped.push(...slice.unwatched.skipped)
  }
  out.touchedClusters = [...touched]
  out.outage = await judgeUpload(tx, run, tally)
  // What follows, to the commit, reads and writes rows every upload of the project shares (clusters' counts, test
  // cases' counters and labels, day rollups). Uploads of one project take turns from here: each reads the histories
  // the one before it committed, and two never lock those rows in opposite orders. Everything above (parse, test
  // cases, cluster ids, the results' COPY) runs alongside the upload whose turn it is.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`project_writes ${projectId}`}, 0))`)
  // The watch list was read with the test cases, before the turn. An upload that had its turn meanwhile may have put
  // more of this run's tests under watch (a test it failed, its new tests): then it is read again, now.
  if (await labelTurns(tx, projectId) !== turnsBefore) out.watched.push(...await nowWatched(tx, unwatched))
  await applyClusterLinks(tx, clusterContext(run, projectId), writes.links)
  await updateCaseCounters(tx, run, withOutageCounts(writes.deltas, outageCounts(tally, out.outage !== null)))
  stepDone('counters')
  // read once all slices are in: a cluster made by one slice may have gained occurrences in the next
  if (created.size) {
    out.newClusters = rowsOf<NewCluster>(await tx.execute(sql`
      select id, title, category, occurrences from failure_clusters where id = any(${plainArray([...created])}::uuid[])
      order by occurrences desc, id`))
  }
  return out
}

/** The writes of an upload to rows that other uploads write too, gathered across its slices (see storeResults). */
interface LockingWrites {
  /** Per (cluster, test case): a slice's hits are summed here once their clusters are found, then let go. */
  links: ClusterLinks
  deltas: CounterDelta[]
}

const clusterContext = (run: RunRow, projectId: string) => ({ projectId, runId: run.id, startedAt: run.startedAt, branch: run.branch })

/** One slice of an upload's merged results stored: see storeResults. */
async function storeSlice(
  tx: Tx, projectId: string, run: RunRow, merged: MergedResult[], upload: UploadOf, writes: LockingWrites, tally: UploadTally,
) {
  stepDone('unpack')
  const { isNewRun, ciAttempt } = upload
  const previous = isNewRun ? new Map<string, StoredResult>() : await loadRunResults(tx, run.id, merged.map(m => m.identityHash))
  // this upload's own outcome of each test, before an earlier upload's folds in (the upload is judged by these)
  const own = new Map(merged.map(m => [m.identityHash, m.result]))
  let legs = 0
  const passedEarlier = new Set<string>()
  for (const m of merged) {
    const before = previous.get(m.identityHash)
    if (before) {
      // Another shard's run of the test is a retry (GitHub's "Re-run failed jobs" is a later attempt of the same run
      // key), unless the same attempt ran it: then it is another leg of a matrix, a repetition whose failure fails it.
      const leg = ciAttempt != null && before.ciAttempt === ciAttempt
      if (leg) legs++
      m.result = leg ? mergeRepetitions([[before], [m.result]]) : mergeExecutions([before, m.result])
      // a retry that fails what the run had passed: mixed outcomes, as a pass after a failure is a flaky pass (another
      // leg's pass is another configuration's, no evidence)
      if (FAILING.has(m.result.status) && (before.passedEarlier || (!leg && before.status === 'passed'))) passedEarlier.add(m.identityHash)
      m.occurrences += 1
      // the same id: a page of the run's results (paged by id) neither loses nor repeats it, and its stored
      // attachments still point at it
      m.keepId = before.id
    }
  }
  // a known, labelled test skipped here keeps its label and score: both read executed results only (a test that is
  // always skipped stays `new` forever, and reading its history back to the last executed result grew with its runs)
  const skippedNow = new Set(merged.filter(m => m.result.status === 'skipped' && !previous.has(m.identityHash)).map(m => m.identityHash))
  const { caseIds, watched, unwatched } = await resolveTestCases(tx, projectId, merged, skippedNow)
  stepDone('cases')
  const clusters = await clusterFailures(tx, projectId, run, merged, previous, caseIds)
  addClusterLinks(writes.links, clusters.clusterIds, clusters.hits)
  writes.deltas.push(...counterDeltas(merged, previous, caseIds))
  const stored = new Map(merged.map(m => [m.identityHash, m.result]))
  const carried = tallyOwn(tally, { own, previous, stored, caseIds, fingerprints: clusters.fingerprints })
  stepDone('clusters')
  if (previous.size) {
    const replaced = and(eq(testResults.runId, run.id), eq(testResults.runStartedAt, run.startedAt),
      inArray(testResults.testCaseId, [...previous.keys()].map(h => caseIds.get(h)!)))
    // attempts have no foreign key to the partitioned test_results (schema/tests.ts): they go first, by hand
    await tx.delete(testAttempts).where(inArray(testAttempts.resultId, tx.select({ id: testResults.id }).from(testResults).where(replaced)))
    await tx.delete(testResults).where(replaced)
  }
  const propertiesId = await storeResultProperties(tx, projectId, run.id, merged.map(m => m.result.properties))
  stepDone('properties')
  const known = await alreadyFailingOf(tx, run.id, merged, caseIds)
  stepDone('known')
  await insertResults(tx, projectId, run, ciAttempt, merged, {
    propertiesId,
    outage: carried,
    passedEarlier,
    links: (identityHash) => {
      const fingerprint = clusters.fingerprints.get(identityHash) ?? null
      const caseId = caseIds.get(identityHash)!
      return { caseId, fingerprint, clusterId: clusters.clusterIds.get(fingerprint ?? '') ?? null, known: known.has(caseId) }
    },
  })
  stepDone('results')
  const failingOrFlaky = merged.filter(m => m.result.flaky || FAILING.has(m.result.status) || previous.has(m.identityHash))
    .map(m => caseIds.get(m.identityHash)!)
  return { created: clusters.created, touched: clusters.touched, watched, unwatched, failingOrFlaky, caseIds, legs }
}

/**
 * The tests that became flaky, named from their test cases (an upload's results are gone by the time flakiness is
 * scored): `title` their whole label ("suite › title [variant]", what receipts always said), `name` as lists name them
 * (testName: `RefundServiceTest › refundsOrder()`, `test_charge`) with their `variant`. Highest score first.
 */
export async function labelNewlyFlaky(tx: Tx, newly: NewlyFlaky[]): Promise<NewlyFlaky[]> {
  if (!newly.length) return newly
  const rows = await tx.select({ id: testCases.id, suitePath: testCases.suitePath, title: testCases.title, variant: testCases.variant })
    .from(testCases).where(inArray(testCases.id, newly.map(n => n.testCaseId)))
  const named = new Map(rows.map(r => [r.id, { title: testLabel(r), name: testName(r), variant: r.variant }]))
  return newly.map(n => ({ ...n, ...named.get(n.testCaseId) }))
    .sort((a, b) => b.score - a.score || a.title.localeCompare(b.title))
}

/**
 * The test case of every merged result. Known test cases by identity hash alone (the steady state of CI: small
 * payload, index lookups); only new ones travel with their names, inserted without rewriting anything known.
 */
async function resolveTestCases(
  tx: Tx, projectId: string, merged: MergedResult[], skippedNow: Set<string>,
): Promise<{ caseIds: CaseIds, watched: string[], unwatched: Unwatched }> {
  const caseIds: CaseIds = new Map()
  const watched: string[] = []
  const unwatched: Unwatched = { ids: [], skipped: [] }
  const notWatched = (id: string, identityHash: string) => (skippedNow.has(identityHash) ? unwatched.skipped : unwatched.ids).push(id)
  // keyed by the upload's own hash strings, not the equal ones each row brings (350k of them in a large upload)
  const keyOf = (hashes: string[]) => {
    const own = new Map(hashes.map(h => [h, h]))
    return (h: string) => own.get(h) ?? h
  }
  for (let i = 0; i < merged.length; i += CHUNK * 10) {
    const hashes = merged.slice(i, i + CHUNK * 10).map(m => m.identityHash)
    const key = keyOf(hashes)
    const known = rowsOf<{ id: string, identity_hash: string, watched: boolean, labelled: boolean }>(await tx.execute(sql`
      select id, identity_hash, ${UNDER_WATCH} as watched, flaky_reason is not null as labelled
      from test_cases where project_id = ${projectId}::uuid and identity_hash = any(${plainArray(hashes)}::text[])`))
    for (const r of known) {
      caseIds.set(key(r.identity_hash), r.id)
      if (r.watched && !(r.labelled && skippedNow.has(r.identity_hash))) watched.push(r.id)
      else notWatched(r.id, r.identity_hash)
    }
  }
  // in identity order: two uploads bringing the same new tests wait for each other, never deadlock
  const fresh = merged.filter(m => !caseIds.has(m.identityHash)).sort((a, b) => (a.identityHash < b.identityHash ? -1 : 1))
  for (let i = 0, size = FIRST_ROWS; i < fresh.length;) {
    const rows = fresh.slice(i, i += size).map(m => ({
      identity_hash: m.identityHash, file: m.result.file, suite_path: m.result.suitePath, title: m.result.title, variant: m.result.variant,
    }))
    const json = rowsJson(rows)
    size = nextRows(json.length, rows.length)
    const inserted = rowsOf<{ id: string, identity_hash: string }>(await tx.execute(sql`
      insert into test_cases (project_id, identity_hash, file, suite_path, title, variant)
      select ${projectId}::uuid, x.identity_hash, x.file, x.suite_path, x.title, x.variant
      from json_to_recordset(${json}::json) as x(identity_hash text, file text, suite_path text[], title text, variant text)
      on conflict (project_id, identity_hash) do nothing
      returning id, identity_hash`))
    // a new test is labelled on its first run (`new`), passing or not
    const key = keyOf(rows.map(r => r.identity_hash))
    for (const r of inserted) {
      caseIds.set(key(r.identity_hash), r.id)
      watched.push(r.id)
    }
    // A concurrent upload inserted the rest after this statement's snapshot: read them now.
    const raced = rows.filter(r => !caseIds.has(r.identity_hash)).map(r => r.identity_hash)
    if (raced.length) {
      const found = await tx.select({ id: testCases.id, identityHash: testCases.identityHash }).from(testCases)
        .where(and(eq(testCases.projectId, projectId), inArray(testCases.identityHash, raced)))
      for (const r of found) {
        caseIds.set(r.identityHash, r.id)
        notWatched(r.id, r.identityHash)
      }
    }
  }
  return { caseIds, watched, unwatched }
}

/**
 * Failures and retry passes (clusterRole) find their clusters, made on first sight; a shard merge first takes back what
 * the replaced results counted, and only those that counted: a result stored before retry passes were clustered took
 * nothing. The hits are counted at the end of the upload (applyClusterLinks).
 */
async function clusterFailures(
  tx: Tx, projectId: string, run: RunRow, merged: MergedResult[], previous: Map<string, StoredResult>, caseIds: CaseIds,
) {
  const hits: ClusterHit[] = []
  const fingerprints = new Map<string, string>()
  const hit = (identityHash: string, r: ParsedResult, delta: 1 | -1) => {
    if (!clusterRole(r)) return
    const fp = fingerprintFailure({ message: r.errorMessage, stack: r.errorStack, file: r.file, suitePath: r.suitePath })
    if (!fp) return
    if (delta > 0) fingerprints.set(identityHash, fp.fingerprint)
    hits.push({ testCaseId: caseIds.get(identityHash)!, fp, message: r.errorMessage, stack: r.errorStack, delta })
  }
  for (const [identityHash, before] of previous) if (before.clusterId) hit(identityHash, before, -1)
  for (const m of merged) hit(m.identityHash, m.result, 1)
  const { clusterIds, createdIds } = await resolveClusterHits(tx, clusterContext(run, projectId), hits)
  const touched = [...new Set(hits.filter(h => h.delta > 0).map(h => clusterIds.get(h.fp.fingerprint)!))]
  return { fingerprints, clusterIds, created: createdIds, touched, hits }
}

type ResultLinks = (identityHash: string) => { caseId: string, fingerprint: string | null, clusterId: string | null, known: boolean }
/**
 * What a result row points at: its test case and cluster by identity, whether its test was already failing
 * (alreadyFailingOf), its properties' row (storeResultProperties); `outage`: the tests whose result keeps an earlier
 * upload's outage mark (tallyOwn).
 */
interface RowLinks {
  links: ResultLinks
  propertiesId: (properties: Record<string, string>) => string | null
  outage: Set<string>
  /** The tests whose failure here follows a pass in an earlier upload of the run (test_results.passed_earlier). */
  passedEarlier: Set<string>
}

/** The columns of test_results an upload writes, with their types, in the order of its rows (resultRowsOf). */
const RESULT_COLUMNS: BulkColumn[] = [
  ['id', 'uuid'], ['run_id', 'uuid'], ['test_case_id', 'uuid'], ['project_id', 'uuid'], ['run_started_at', 'timestamptz'],
  ['status', 'test_status'], ['flaky', 'boolean'], ['duration_ms', 'int'], ['attempt_count', 'smallint'], ['error_message', 'text'],
  ['error_stack', 'text'], ['stdout', 'text'], ['stderr', 'text'], ['line', 'int'], ['steps', 'jsonb'], ['annotations', 'jsonb'],
  ['attachments', 'jsonb'], ['tags', 'text[]'], ['properties_id', 'uuid'], ['fingerprint', 'text'], ['cluster_id', 'uuid'],
  ['known_failure', 'boolean'], ['ci_attempt', 'smallint'], ['infra', 'boolean'], ['passed_earlier', 'boolean'],
]
/** The columns of test_attempts an upload writes, in the order of its rows (resultRowsOf). */
const ATTEMPT_COLUMNS: BulkColumn[] = [
  ['result_id', 'uuid'], ['attempt', 'int'], ['status', 'test_status'], ['duration_ms', 'int'], ['error_message', 'text'],
  ['error_stack', 'text'], ['started_at', 'timestamptz'],
]
/** Attempt rows held before they are written: a COPY of results ends for them (their results must be in first). */
const STREAMED_ATTEMPTS = 20_000

/**
 * Inserts one result per merged test, and its attempts when there was more than one try: streamed with COPY on
 * Postgres, in COPY statements of at most MAX_BATCH_CHARS on PGlite (bulkWriter).
 */
async function insertResults(tx: Tx, projectId: string, run: RunRow, ciAttempt: number | null, merged: MergedResult[], links: RowLinks) {
  const fixed: RunFixed = { runId: run.id, projectId, startedAt: run.startedAt.toISOString(), ciAttempt }
  const results = bulkWriter(tx, 'test_results', RESULT_COLUMNS)
  const attemptWriter = bulkWriter(tx, 'test_attempts', ATTEMPT_COLUMNS)
  // Rows are made a batch at a time (a 350k-result upload would otherwise hold every row and id at once); attempt
  // rows gather across batches until there are enough to write.
  let attempts: BulkRow[] = []
  const flushAttempts = async () => {
    await results.end()
    await attemptWriter.write(attempts)
    await attemptWriter.end()
    attempts = []
  }
  for (let i = 0, size = FIRST_ROWS; i < merged.length;) {
    const resultRows = resultRowsOf(merged.slice(i, i += size), links, attempts, fixed)
    const chars = await results.write(resultRows)
    size = results.streaming ? CHUNK : nextRows(chars, resultRows.length)
    if (attempts.length >= (results.streaming ? STREAMED_ATTEMPTS : FIRST_ROWS / 2)) await flushAttempts()
  }
  await results.end()
  if (attempts.length) await flushAttempts()
}

/** What every result row of the upload shares. */
interface RunFixed { runId: string, projectId: string, startedAt: string, ciAttempt: number | null }

/** The rows of test_results in RESULT_COLUMNS' order (attempt rows go to `attemptRows`); empty collections are null. */
function resultRowsOf(merged: MergedResult[], row: RowLinks, attemptRows: BulkRow[], fixed: RunFixed): BulkRow[] {
  const { links, propertiesId, outage, passedEarlier } = row
  return merged.map((m) => {
    const r = m.result
    const id = m.keepId ?? uuidv7()
    if (r.attempts.length > 1) {
      const skip = Math.max(0, r.attempts.length - MAX_ATTEMPTS)
      r.attempts.slice(skip).forEach((a, i) => attemptRows.push([
        id, skip + i + 1, a.status, int4(a.durationMs), a.errorMessage, a.errorStack, a.startedAt,
      ]))
    }
    const { caseId, fingerprint, clusterId, known } = links(m.identityHash)
    return [
      id, fixed.runId, caseId, fixed.projectId, fixed.startedAt, r.status, r.flaky,
      int4(r.durationMs), Math.min(Math.max(1, r.attempts.length), 32_767), r.errorMessage,
      r.errorStack, r.stdout, r.stderr, int4(r.line), r.steps.length ? r.steps : null, r.annotations.length ? r.annotations : null,
      r.attachments.length ? r.attachments : null, r.tags.length ? r.tags : null, propertiesId(r.properties), fingerprint, clusterId,
      FAILING.has(r.status) && known, fixed.ciAttempt, outage.has(m.identityHash),
      passedEarlier.has(m.identityHash),
    ]
  })
}

/** Results (with attempts) this run already stores for these test identities, as parsed results to merge with. */
async function loadRunResults(tx: Tx, runId: string, identityHashes: string[]): Promise<Map<string, StoredResult>> {
  const out = new Map<string, StoredResult>()
  for (let i = 0; i < identityHashes.length; i += CHUNK * 5) {
    const rows = await tx.select({
      r: testResults, identityHash: testCases.identityHash, file: testCases.file, properties: resultProperties.properties,
    })
      .from(testResults).innerJoin(testCases, eq(testCases.id, testResults.testCaseId))
      .leftJoin(resultProperties, and(eq(resultProperties.projectId, testResults.projectId),
        eq(resultProperties.id, testResults.propertiesId)))
      .where(and(eq(testResults.runId, runId), inArray(testCases.identityHash, identityHashes.slice(i, i + CHUNK * 5))))
    if (!rows.length) continue
    const attempts = await tx.select().from(testAttempts).where(inArray(testAttempts.resultId, rows.map(x => x.r.id)))
      .orderBy(testAttempts.attempt)
    for (const { r: row, identityHash, file, properties } of rows) {
      const own = attempts.filter(a => a.resultId === row.id).map(a => ({
        status: a.status, durationMs: a.durationMs, errorMessage: a.errorMessage, errorStack: a.errorStack,
        startedAt: a.startedAt?.toISOString() ?? null, stdout: null, stderr: null,
      }))
      // A single try is stored without attempt rows: the result itself is that attempt.
      const single = {
        status: row.status, durationMs: row.durationMs, errorMessage: row.errorMessage, errorStack: row.errorStack,
        startedAt: null, stdout: null, stderr: null,
      }
      out.set(identityHash, {
        id: row.id, file, line: row.line, suitePath: [], title: '', variant: null,
        status: row.status, flaky: row.flaky, durationMs: row.durationMs,
        attempts: own.length ? own : [single],
        errorMessage: row.errorMessage, errorStack: row.errorStack, stdout: row.stdout, stderr: row.stderr,
        steps: row.steps ?? [], annotations: row.annotations ?? [], attachments: row.attachments ?? [], tags: row.tags ?? [],
        properties: properties ?? {}, clusterId: row.clusterId, ciAttempt: row.ciAttempt, infra: row.infra,
        passedEarlier: row.passedEarlier,
      })
    }
  }
  return out
}

/** How many uploads of the project have had their turn to write its labels (project_rollups.label_turns, ./rollups.ts). */
async function labelTurns(tx: Tx, projectId: string): Promise<number> {
  const [row] = await tx.select({ n: projectRollups.labelTurns }).from(projectRollups).where(eq(projectRollups.projectId, projectId))
  return row?.n ?? 0
}

/**
 * Which of these test cases, read as not under watch, are under watch now (another upload had its turn since); as
 * resolveTestCases reads it, a labelled test whose result here is a skip keeps its label.
 */
async function nowWatched(tx: Tx, unwatched: Unwatched): Promise<string[]> {
  const out: string[] = []
  for (const [ids, skipped] of [[unwatched.ids, false], [unwatched.skipped, true]] as const) {
    for (let i = 0; i < ids.length; i += CHUNK * 10) {
      out.push(...rowsOf<{ id: string }>(await tx.execute(sql`
        select id from test_cases where id = any(${plainArray(ids.slice(i, i + CHUNK * 10))}::uuid[]) and ${UNDER_WATCH}
          ${skipped ? sql`and flaky_reason is null` : sql``}`)).map(r => r.id))
    }
  }
  return out
}

/** The test cases with a result in this run (every shard). */
export async function testCasesOfRun(tx: Tx, run: Pick<RunRow, 'id' | 'startedAt'>): Promise<string[]> {
  return rowsOf<{ id: string }>(await tx.execute(sql`
    select distinct test_case_id as id from test_results where run_id = ${run.id}::uuid and run_started_at = ${run.startedAt.toISOString()}::timestamptz`))
    .map(r => r.id)
}

/**
 * Recomputes a run's counts and status from the rows actually stored, and whether it was an infrastructure failure
 * (isOutage: its failures by cluster tell an outage's cause from a regression's).
 */
export async function refreshRunCounts(tx: Tx, runId: string) {
  const rows = await tx.select({
    status: testResults.status, flaky: testResults.flaky, clusterId: testResults.clusterId, n: sql<number>`count(*)::int`,
  }).from(testResults).where(eq(testResults.runId, runId)).groupBy(testResults.status, testResults.flaky, testResults.clusterId)
  const counts: RunCounts = { tests: 0, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 }
  const failuresByCause = new Map<string | null, number>()
  for (const r of rows) {
    counts.tests += r.n
    counts[r.status] += r.n
    if (r.flaky) counts.flaky += r.n
    // a test that passed only on a retry failed first: an outage's job run again (a retried CI job under the run's key)
    // leaves its tests flaky, and is still an outage
    if (FAILING.has(r.status) || r.flaky) failuresByCause.set(r.clusterId, (failuresByCause.get(r.clusterId) ?? 0) + r.n)
  }
  const [run] = await tx.select({ errors: runs.errors }).from(runs).where(eq(runs.id, runId))
  const errors = run?.errors ?? []
  const status = runStatusOf(counts, errors.length)
  const failing = { executed: counts.tests - counts.skipped, failing: counts.failed + counts.errored + counts.flaky }
  const infra = await isOutage(tx, failing, failuresByCause)
  await tx.update(runs).set({
    status, infra, total: counts.tests, passed: counts.passed, failed: counts.failed, errored: counts.errored,
    skipped: counts.skipped, flaky: counts.flaky,
  }).where(eq(runs.id, runId))
  return { counts, status, errors, infra }
}
