import { randomUUID } from 'node:crypto'
import { and, eq, inArray, sql } from 'drizzle-orm'
import { useDb, schema, type Tx } from '../db'
import { retryConflicts } from '../db/errors'
import { int4, sha256 } from '../ingest/merge'
import { BatchFeed, NotStreamable } from '../ingest/packed'
import { links } from '#shared/links'
import type { IngestMeta } from '#shared/schemas/ingest'
import type { IngestReceipt, ReceiptFile } from '#shared/types/ingest'
import { stepDone } from '../utils/steps'
import { notFound } from '../utils/errors'
import { forgetVerifiedKeys } from './api-keys'
import { stageAttachments, storeAttachments, type UploadedAttachment } from './attachments'
import { markInfrastructureClusters, rollUpClusterRun, untilReclustered } from './clustering'
import { diagnoseClusters } from './diagnoses'
import { refreshFlakiness } from './flakiness'
import { ensureMonthPartitions } from './partitions'
import { authorize } from './policy'
import { receiptFailureReport } from './receipt-failures'
import { recordRunInRollups } from './rollups'
import { runShards, shardsIn } from './runs'
import { labelNewlyFlaky, refreshRunCounts, storeResults, testCasesOfRun, type UploadOf } from './run-results'
import { outagesOf, recountRunOutages, type UploadOutageNote } from './outages'
import { ownNewTests } from './owners'
import { markDaysDue, queueTestDays } from './test-rollups'
import { queueUpkeep } from './upkeep'
import type { Scope } from './scope'
import { sendDeliveries, writeWebhookEvents } from './webhook-events'
import {
  parseFiles, planRun, streamedPlan, streamedResults, wholeResults, type ParsedFile, type RunPlan, type UploadedFile, type UploadResults,
} from './upload-plan'

/**
 * Ingest of an upload (one or more report files) into one run: parse (./upload-plan.ts), then one transaction that
 * finds or creates the project and the run, stores what is new and answers with a receipt. Merge rules live in
 * server/ingest/merge.ts, the bulk writes in ./run-results.ts, ./clustering.ts and ./flakiness.ts.
 */

export type { UploadedFile } from './upload-plan'

const { projects, projectMemberships, runs, runUploads } = schema

type RunRow = typeof runs.$inferSelect
type Notes = Pick<IngestReceipt, 'rejected' | 'newClusters' | 'newlyFlaky'> & {
  duplicates: IngestReceipt['merged']['duplicates']
  /** The upload was an outage by itself (receipt's `outages`), so that a retry's receipt says it again. */
  outage?: UploadOutageNote
  /**
   * The test cases this upload failed or flaked, when at most UPLOAD_CASES_KEPT: the receipt's failures.thisUpload is
   * counted among them, now (a retry of the upload counts them again, a quarantine set since included).
   */
  uploadCases?: string[]
}

/** Failing test cases of one upload kept for failures.thisUpload; past them the receipt has no thisUpload. */
const UPLOAD_CASES_KEPT = 1000
type Stored = Awaited<ReturnType<typeof refreshRunCounts>>

/**
 * Ingests one upload (one or more report files) into one run, atomically and idempotently: the same run key and
 * content again changes nothing; a new file under an existing run key is a new shard of that run.
 */
export async function ingestRun(
  scope: Scope, meta: IngestMeta, files: UploadedFile[], baseUrl: string, uploaded: UploadedAttachment[] = [],
  opts: { queueRollups?: boolean } = {},
): Promise<{ created: boolean, receipt: IngestReceipt }> {
  authorize(scope, 'ingest')
  // one clock for the plan made before the parse and the one made after it (a run whose report gives no start starts now)
  const now = new Date()
  // hashed first: a large file's bytes move to the parse worker
  const hashes = files.map(f => sha256(f.content))
  const early = await streamedPlan(meta, files, hashes, now)
  const feeds = early ? files.map(() => new BatchFeed()) : undefined
  const parsing = parseFiles(files, hashes, meta.format, feeds)
  // a parse that fails is told by the store (NotStreamable) or awaited below, never left unheard
  parsing.catch(() => {})
  let plan = early ?? planRun(meta, await parsing, now)
  if (!early) stepDone('parse')
  // the results' month partition exists before the transaction (normally a cache hit; see partitions.ts)
  await ensureMonthPartitions([plan.values.startedAt])
  // blobs are written before the transaction; if it fails, the blob sweep deletes what no row references
  const staged = await stageAttachments(uploaded)
  stepDone('prepare')
  const db = await useDb()
  await untilReclustered()
  // a deadlock with another transaction (a triage, retention, another upload's first inserts) runs the upload again
  const store = (planned: RunPlan, streamed: boolean) => {
    let tries = 0
    return retryConflicts('upload', () => db.transaction((tx) => {
      // the files stream into the first try only (their batches are read once): a try again reads them whole
      if (streamed && tries++) throw new NotStreamable('the upload is tried again')
      const source = streamed ? streamedResults(feeds!, parsing, meta, planned, now) : null
      return storeUpload(tx, { scope, meta, plan: planned, source, staged, baseUrl })
    }))
  }
  let stored: Awaited<ReturnType<typeof store>>
  try {
    stored = await store(plan, !!feeds)
  }
  catch (err) {
    if (!(err instanceof NotStreamable)) {
      // a report that cannot be read is said first, as when the parse came before the transaction
      await parsing
      throw err
    }
    // what only the whole upload could say: read whole and stored again from the start (`restart`: the time lost)
    stepDone('restart')
    plan = planRun(meta, await parsing, now)
    stepDone('parse')
    await ensureMonthPartitions([plan.values.startedAt])
    stored = await store(plan, false)
  }
  stepDone('commit')
  const { outcome, touchedClusters, deliveries, owingDays } = stored
  // After the commit, off the request path (an LLM may take seconds): clusters with new evidence get a diagnosis.
  if (touchedClusters.length) void diagnoseClusters(touchedClusters)
  if (deliveries.length) void sendDeliveries(deliveries)
  // the per-test day rollups of the stored results (what they owe the run was written in the transaction); a batch
  // of uploads (the demo) rolls them up once at its end instead
  if (owingDays && opts.queueRollups !== false) queueTestDays(owingDays)
  // the embedded database's statistics and free space (services/upkeep.ts; nothing on Postgres)
  if (outcome.created) queueUpkeep()
  return outcome
}

interface StoreInput {
  scope: Scope
  meta: IngestMeta
  plan: RunPlan
  /** The upload's one file as its parse reads it, or null: the files parsed whole (plan.files). */
  source: UploadResults | null
  staged: Awaited<ReturnType<typeof stageAttachments>>
  baseUrl: string
}

/** The upload's transaction: the project and run found or made and locked, what is new stored, the receipt. */
async function storeUpload(tx: Tx, { scope, meta, plan, source, staged, baseUrl }: StoreInput) {
  const project = await resolveProject(tx, scope, meta.project, meta.defaultBranch ?? plan.values.branch ?? undefined)
  const { run, isNewRun } = await lockRun(tx, project.id, plan)
  let fresh = await freshFiles(tx, run.id, plan)
  stepDone('lock')
  // a retry of an upload the run holds: its receipt is repeated, as the whole parse tells it
  if (source && !fresh.length) ({ plan } = await source.settled())
  // files the run holds among new ones (a retry with a file more), or a file sent twice: only the new ones are stored
  if (source && fresh.length && fresh.length !== plan.files.length) throw new NotStreamable('some files of the upload are stored already')
  const how = { isNewRun, ciAttempt: plan.ciAttempt, shard: plan.shard, job: plan.job }
  const applied = fresh.length
    ? await applyUpload(tx, project.id, run, source ?? wholeResults(plan, fresh), how)
    : await replayUpload(tx, run.id, plan, unlikeTheRun(plan, run))
  // a streamed file's plan and file as its parse read them (the same run as planned)
  if ('plan' in applied) ({ plan, fresh } = applied)
  const unnamed = await storeAttachments(tx, project.id, run.id, staged, { replay: !fresh.length })
  stepDone('files')
  if (applied.daysDue) {
    await markDaysDue(tx, project.id, run.id, applied.daysDue)
    await ownNewTests(tx, project.id, run.id)
  }
  const number = await recordRunInRollups(tx, run, isNewRun, fresh.length > 0)
  stepDone('rollups')
  const receipt = await receiptOf(tx, { plan, fresh, run: { ...run, number }, project: project.slug, baseUrl, ...applied })
  stepDone('receipt')
  const notKept = unnamed.map(path => ({ item: `attachment ${path}`, reason: 'no test result of this run names this file; it was not kept.' }))
  receipt.rejected = [...receipt.rejected, ...notKept]
  const deliveries = fresh.length ? await writeWebhookEvents(tx, project.id, receipt, baseUrl, run.status) : []
  return {
    outcome: { created: fresh.length > 0, receipt },
    touchedClusters: applied.touchedClusters,
    deliveries,
    /** The project whose day rollups this upload leaves owing (services/test-rollups.ts), if it stored results. */
    owingDays: fresh.length ? project.id : undefined,
  }
}

/**
 * The project of the upload, created on first upload unless the key is bound to another project. A project another
 * upload created while this one waited on the slug (the insert's conflict) is held to the same check as one that
 * existed: the caller may write to it only if it was theirs (their own concurrent first upload, whose membership is
 * committed with it), never by joining a project someone else was creating.
 */
async function resolveProject(tx: Tx, scope: Scope, slug: string, defaultBranch: string | undefined) {
  const find = async () => (await tx.select().from(projects).where(eq(projects.slug, slug)).limit(1))[0]
  const existing = await find()
  // one answer whether the slug is unknown or another's: a bound key learns nothing of other projects
  if (scope.boundProjectId && existing?.id !== scope.boundProjectId) {
    throw notFound(`No project "${slug}" that this key can write to: the key is bound to another project.`, 'project_not_found')
  }
  const create = () => tx.insert(projects).values({ slug, name: slug, defaultBranch: defaultBranch ?? 'main' }).onConflictDoNothing().returning()
  const [created] = existing ? [] : await create()
  if (created) {
    if (scope.role !== 'admin') {
      await tx.insert(projectMemberships).values({ userId: scope.userId, projectId: created.id }).onConflictDoNothing()
      forgetVerifiedKeys()
    }
    return created
  }
  // one that existed, or that another upload created while this one waited on the slug (the insert's conflict)
  const project = existing ?? await find()
  if (!project || (!inScopeNow(scope, project.id) && !await isMember(tx, scope, project.id))) {
    throw notFound(`No project "${slug}" that this key can write to.`, 'project_not_found')
  }
  return project
}

/** The scope as the request's key or session read it: every project for an admin, else its projects then. */
const inScopeNow = (scope: Scope, projectId: string) => scope.projectIds === null || scope.projectIds.includes(projectId)

/** Whether the caller is a member of the project now (a project their other upload created since the scope was read). */
async function isMember(tx: Tx, scope: Scope, projectId: string): Promise<boolean> {
  if (scope.boundProjectId) return false
  const [row] = await tx.select({ one: sql<number>`1` }).from(projectMemberships)
    .where(and(eq(projectMemberships.userId, scope.userId), eq(projectMemberships.projectId, projectId))).limit(1)
  return !!row
}

/**
 * Finds or creates the run of this run key and locks it: concurrent shards of one run apply one after the other. A new
 * run gets its number at the end of the upload, with the rollups (./rollups.ts).
 */
async function lockRun(tx: Tx, projectId: string, plan: RunPlan): Promise<{ run: RunRow, isNewRun: boolean }> {
  const inserted = await tx.insert(runs).values({ ...plan.values, projectId }).onConflictDoNothing().returning({ id: runs.id })
  const [run] = await tx.select().from(runs).where(and(eq(runs.projectId, projectId), eq(runs.runKey, plan.runKey))).for('update')
  if (!run) throw new Error('run row vanished inside its transaction')
  return { run, isNewRun: inserted.length > 0 }
}

/**
 * A shard of an existing run that says another branch or commit (a CI build id reused across commits, a shard sent
 * with the wrong values) is still stored in that run, which keeps its own; the receipt says which values it did not
 * take, so results of two commits are never mixed in silence.
 */
function unlikeTheRun(plan: RunPlan, run: RunRow): Notes['rejected'] {
  const notes: Notes['rejected'] = []
  const { branch, commitSha } = plan.values
  if (branch && run.branch !== branch) {
    notes.push({ item: `branch ${branch}`, reason: `run key ${run.runKey} is a run ${run.branch ? `on ${run.branch}` : 'on no branch'}: these results are stored in it, on its branch.` })
  }
  if (commitSha && run.commitSha !== commitSha) {
    notes.push({ item: `commit ${commitSha}`, reason: `run key ${run.runKey} is a run ${run.commitSha ? `of commit ${run.commitSha.slice(0, 12)}` : 'with no commit'}: these results are stored in it, with its commit.` })
  }
  return notes
}

/**
 * The rows of this run that hold these files as this upload's shard and job: a retry of the upload. The same content
 * from another shard or job is that shard's (vitest with more shards than test files writes one empty report for
 * several): counted a retry, the run waited for that shard for good.
 */
const sameUpload = (runId: string, { files, shard, job }: Pick<RunPlan, 'files' | 'shard' | 'job'>) => and(
  eq(runUploads.runId, runId), inArray(runUploads.contentHash, files.map(f => f.hash)),
  sql`${runUploads.shardIndex} is not distinct from ${shard?.index ?? null}::smallint`,
  sql`${runUploads.shardTotal} is not distinct from ${shard?.total ?? null}::smallint`,
  sql`${runUploads.job} is not distinct from ${job}::text`,
)

/** Files whose content this run does not hold yet from this upload's shard and job, each content once. */
async function freshFiles(tx: Tx, runId: string, plan: RunPlan): Promise<ParsedFile[]> {
  const known = new Set((await tx.select({ hash: runUploads.contentHash }).from(runUploads)
    .where(sameUpload(runId, plan))).map(r => r.hash))
  const seen = new Set<string>()
  return plan.files.filter(f => !known.has(f.hash) && !seen.has(f.hash) && seen.add(f.hash))
}

/** Stores new files: results, run errors and duration, counts, infrastructure marking, flakiness, upload rows. */
async function applyUpload(tx: Tx, projectId: string, run: RunRow, results: UploadResults, how: UploadOf) {
  const { isNewRun } = how
  const analysis = await storeResults(tx, projectId, run, results.slices, how)
  const { plan, fresh, upload } = await results.settled()
  const duplicates = upload.duplicates
  const planned = [...plan.rejected, ...isNewRun ? [] : unlikeTheRun(plan, run)]
  const rejected = [...planned, ...upload.rejected, ...legsNote(analysis.legs, how.ciAttempt), ...await shardsNote(tx, run.id, how)]
  const duration = fresh.map(f => f.report.durationMs).map(int4).filter((d): d is number => d != null)
  await tx.update(runs).set({
    errors: [...run.errors, ...fresh.flatMap(f => f.report.errors)],
    durationMs: duration.length ? Math.max(run.durationMs ?? 0, ...duration) : run.durationMs,
    // the run's job while every upload names the same one (runs.job)
    job: run.job === how.job ? run.job : null,
    updatedAt: new Date(),
  }).where(eq(runs.id, run.id))
  const stored = await refreshRunCounts(tx, run.id)
  // the run's failures that no upload marked as its own outage's are an outage's now, or no longer
  if (stored.infra !== run.infra) await recountRunOutages(tx, run, stored.infra)
  stepDone('counts')
  await rollUpClusterRun(tx, run, analysis.touchedClusters)
  let newClusters = analysis.newClusters
  // an outage of the run, or of this upload's shard or job alone: the causes it brought are the outage's
  if (stored.infra || analysis.outage) {
    await markInfrastructureClusters(tx, newClusters.map(c => c.id))
    newClusters = newClusters.map(c => ({ ...c, category: 'infrastructure' }))
  }
  // In an infrastructure run a failure says nothing about the test, so only tests already under watch move. A shard
  // that turns the run into one, or out of one, changes what every result of the run says: all its tests move.
  const flipped = !isNewRun && stored.infra !== run.infra
  // the day rollups count an infrastructure run's results otherwise: a shard that flips the run recounts all its tests
  const daysDue = isNewRun ? { add: true as const } : { recount: flipped ? null : analysis.stored }
  const candidates = flipped
    ? await testCasesOfRun(tx, run)
    : stored.infra ? analysis.watched : [...new Set([...analysis.watched, ...analysis.failingOrFlaky])]
  stepDone('clusters')
  const newlyFlaky = await labelNewlyFlaky(tx, await refreshFlakiness(tx, candidates, () => ''))
  stepDone('flakiness')
  const uploadCases = analysis.failingOrFlaky.length <= UPLOAD_CASES_KEPT ? analysis.failingOrFlaky : undefined
  const notes: Notes = { duplicates, rejected, newClusters, newlyFlaky, uploadCases, ...analysis.outage ? { outage: analysis.outage } : {} }
  // One upload row per file, all carrying the upload's notes so a retry's receipt can repeat them.
  const uploadId = randomUUID()
  await tx.insert(runUploads).values(fresh.map((f, i) => ({
    runId: run.id, uploadId, contentHash: f.hash, fileName: f.name, format: f.report.format, results: f.report.count, bytes: f.bytes,
    shardIndex: how.shard?.index, shardTotal: how.shard?.total, job: how.job, notes: i === 0 ? notes : { duplicates: [], rejected: [] },
  })))
  return { notes, stored, touchedClusters: analysis.touchedClusters, daysDue, uploads: [uploadId], plan, fresh }
}

/**
 * Tests this run already held from another upload of the same CI attempt, run again by this one: the legs of a matrix
 * that test one suite in several configurations and share the CI's run key. Their runs were folded as repetitions (a
 * failure in either fails the test); the receipt says so, and how to keep the configurations apart.
 */
function legsNote(legs: number, ciAttempt: number | null): Notes['rejected'] {
  if (!legs) return []
  const tests = `${legs.toLocaleString('en-US')} test${legs === 1 ? '' : 's'}`
  return [{
    item: `${tests} run again in attempt ${ciAttempt} of this CI run`,
    reason: `another upload of the same attempt already stored ${legs === 1 ? 'it' : 'them'} in this run (a matrix leg testing another configuration?): each was kept as one result that fails if either run failed, not as a retry. Pass --environment (the leg's configuration) to make each leg a run of its own.`,
  }]
}

/**
 * A shard whose count disagrees with its job's other shards in the run: a job re-run with another parallelism, or two
 * jobs of one name (a GitHub matrix's legs share their job's id) that number their shards each their own way (e2e 1/4,
 * e2e 1/2), so the job could read whole with a shard missing. The job waits for its largest count; the receipt says
 * why. Another job's count is its own (jobs that share a run key count their shards apart).
 */
async function shardsNote(tx: Tx, runId: string, { shard, job }: UploadOf): Promise<Notes['rejected']> {
  if (!shard) return []
  const [other] = await tx.select({ total: runUploads.shardTotal }).from(runUploads)
    .where(and(eq(runUploads.runId, runId), sql`${runUploads.job} is not distinct from ${job}`, sql`${runUploads.shardTotal} <> ${shard.total}`)).limit(1)
  if (!other?.total) return []
  if (job === null) {
    return [{
      item: `shard ${shard.index}/${shard.total}`,
      reason: `another upload of this run said ${other.total} shards: uploads that name no job count their shards together, up to the largest number any of them said. Jobs that share a run key count their shards apart when each names its job: pass --job (the CLI names GitHub's, GitLab's, Buildkite's, CircleCI's and Jenkins' jobs itself), or give each job its own run key.`,
    }]
  }
  return [{
    item: `shard ${shard.index}/${shard.total} of ${job}`,
    reason: `another upload of job ${job} in this run said ${other.total} shards: the job counts its shards up to the largest number its uploads said. Jobs of one name (a GitHub matrix's legs share their job's) count their shards together: give each its own --job, or its own run key.`,
  }]
}

/** A retry of content the run already holds: nothing is written, the receipt repeats the notes of the first time. */
async function replayUpload(tx: Tx, runId: string, plan: RunPlan, unlike: Notes['rejected']) {
  const rows = await tx.select({ notes: runUploads.notes, upload: runUploads.uploadId }).from(runUploads).where(sameUpload(runId, plan))
  const rejected = rows.flatMap(n => n.notes.rejected)
  // a retry that names another branch or commit than its run is told, as a new shard would be; the same retry as the
  // first sending (or one whose first sending was told the same) gets the same receipt
  const said = new Set(rejected.map(r => `${r.item}\n${r.reason}`))
  const notes: Notes = {
    duplicates: rows.flatMap(n => n.notes.duplicates),
    rejected: [...rejected, ...unlike.filter(r => !said.has(`${r.item}\n${r.reason}`))],
    newClusters: rows.flatMap(n => n.notes.newClusters ?? []),
    newlyFlaky: rows.flatMap(n => n.notes.newlyFlaky ?? []),
    uploadCases: rows.find(n => n.notes.uploadCases)?.notes.uploadCases,
  }
  const uploads = [...new Set(rows.map(r => r.upload))]
  return { notes, stored: await refreshRunCounts(tx, runId), touchedClusters: [] as string[], daysDue: undefined, uploads }
}

/** The receipt's `shards`, only when an upload of the run declared one (older receipts have none). */
function withShards(agg: Parameters<typeof shardsIn>[0]): Pick<IngestReceipt, 'shards'> {
  const shards = shardsIn(agg)
  return shards ? { shards } : {}
}

interface ReceiptInput {
  plan: RunPlan
  fresh: ParsedFile[]
  run: RunRow
  project: string
  baseUrl: string
  notes: Notes
  stored: Stored
  /** The uploads this request stored, or whose content it sent again. */
  uploads: string[]
}

/** The receipt: the whole run as stored after this upload, plus what this upload (or its first sending) noted. */
async function receiptOf(tx: Tx, input: ReceiptInput): Promise<IngestReceipt> {
  const { plan, fresh, run, project, baseUrl, notes, stored, uploads: these } = input
  const [uploads] = await tx.select({
    n: sql<number>`count(distinct ${runUploads.uploadId})::int`,
    shards: runShards(run.id),
    newlyFlaky: sql<Notes['newlyFlaky'] | string>`coalesce(jsonb_agg(f) filter (where f is not null), '[]'::jsonb)`,
  }).from(runUploads).leftJoin(sql`jsonb_array_elements(${runUploads.notes}->'newlyFlaky') f`, sql`true`).where(eq(runUploads.runId, run.id))
  const files: ReceiptFile[] = plan.files.map(f => ({
    name: f.name, format: f.report.format, results: f.report.count, status: fresh.includes(f) ? 'ingested' : 'duplicate',
  }))
  return {
    runId: run.id,
    runNumber: run.number!,
    url: `${baseUrl}${links.run(run.id)}`,
    project,
    projectId: run.projectId,
    status: stored.status,
    branch: run.branch,
    commit: run.commitSha,
    runKey: plan.runKey,
    counts: stored.counts,
    infrastructure: stored.infra,
    ...await outagesOf(tx, run.id, these),
    format: plan.format,
    files,
    merged: { shards: uploads?.n ?? 0, duplicates: notes.duplicates },
    ...withShards(uploads?.shards ?? null),
    rejected: notes.rejected,
    errors: stored.errors.map(e => e.message),
    ...await receiptFailureReport(tx, run, baseUrl, { ...notes, newlyFlaky: newlyFlakyOfRun(uploads?.newlyFlaky) }),
  }
}

/**
 * The run's newly flaky tests, as its uploads' rows noted them (this upload's row is written by then): a sharded job's
 * comment, written from each shard's receipt, had kept only the last shard's and lost the first's. Each test once.
 */
function newlyFlakyOfRun(ofRun: Notes['newlyFlaky'] | string | undefined): Notes['newlyFlaky'] {
  const all = typeof ofRun === 'string' ? JSON.parse(ofRun) as Notes['newlyFlaky'] : ofRun ?? []
  const seen = new Set<string>()
  return all.filter(t => !seen.has(t.testCaseId) && !!seen.add(t.testCaseId))
    .sort((a, b) => b.score - a.score || a.title.localeCompare(b.title))
}
