import { randomUUID } from 'node:crypto'
import { and, eq, inArray, sql } from 'drizzle-orm'
import { useDb, schema, type Tx } from '../db'
import { retryConflicts } from '../db/errors'
import { int4, sha256 } from '../ingest/merge'
import { foldUpload } from '../ingest/packed'
import { ReportParseError } from '../ingest/types'
import type { ReportFormat } from '#shared/constants'
import { links } from '#shared/links'
import { MAX_REPORT_AHEAD_MINUTES, reportMetaSchema, type IngestMeta } from '#shared/schemas/ingest'
import type { IngestReceipt, ReceiptFile } from '#shared/types/ingest'
import { useConfig } from '../utils/config'
import { stepDone } from '../utils/steps'
import { notFound, payloadTooLarge, unprocessable } from '../utils/errors'
import { ParserExhausted, TooManyResults, withParsers, type PackedReport } from '../utils/parser'
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

/**
 * Ingest of an upload (one or more report files) into one run: parse, then one transaction that finds or creates
 * the project and the run, stores what is new and answers with a receipt. Merge rules live in server/ingest/merge.ts,
 * the bulk writes in ./run-results.ts, ./clustering.ts and ./flakiness.ts.
 */

const { projects, projectMemberships, runs, runUploads } = schema

export interface UploadedFile {
  name: string
  content: Uint8Array
}

interface ParsedFile {
  name: string
  hash: string
  bytes: number
  report: PackedReport
}

/** The run an upload describes, from the upload's metadata with the report's own as fallback. */
interface RunPlan {
  files: ParsedFile[]
  /** Values of the reports that were left out (invalid metadata, impossible dates), for the receipt. */
  rejected: Notes['rejected']
  runKey: string
  format: ReportFormat
  values: Omit<typeof runs.$inferInsert, 'projectId'>
  /** The CI's attempt of the workflow run, when the upload says it (see storeResults). */
  ciAttempt: number | null
  /** Which of its job's shards this upload is, when the upload or its report says it. */
  shard: UploadOf['shard']
  /** The CI job it comes from, when the upload says it: each job counts its own shards. */
  job: UploadOf['job']
}

/** Files of one upload parsed side by side at most (each on a worker of its own, when the pool has one to spare). */
const PARSE_AT_ONCE = 2

/** Results stored per slice of an upload: about 10 MB of unpacked results, and statements large enough to be fast. */
const STORE_SLICE = 10_000

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
  const plan = planRun(meta, await parseFiles(files, meta.format))
  stepDone('parse')
  // the results' month partition exists before the transaction (normally a cache hit; see partitions.ts)
  await ensureMonthPartitions([plan.values.startedAt])
  // blobs are written before the transaction; if it fails, the blob sweep deletes what no row references
  const staged = await stageAttachments(uploaded)
  stepDone('prepare')
  const db = await useDb()
  await untilReclustered()
  let touchedClusters: string[] = []
  let deliveries: string[] = []
  /** The project whose day rollups this upload leaves owing (services/test-rollups.ts), if it stored results. */
  let owingDays: string | undefined
  // a deadlock with another transaction (a triage, retention, another upload's first inserts) runs the upload again
  const outcome = await retryConflicts('upload', () => db.transaction(async (tx) => {
    const project = await resolveProject(tx, scope, meta.project, meta.defaultBranch ?? plan.values.branch ?? undefined)
    const { run, isNewRun } = await lockRun(tx, project.id, plan)
    const fresh = await freshFiles(tx, run.id, plan)
    stepDone('lock')
    const applied = fresh.length
      ? await applyUpload(tx, project.id, run, fresh, { isNewRun, ciAttempt: plan.ciAttempt, shard: plan.shard, job: plan.job },
          [...plan.rejected, ...isNewRun ? [] : unlikeTheRun(plan, run)])
      : await replayUpload(tx, run.id, plan, unlikeTheRun(plan, run))
    touchedClusters = applied.touchedClusters
    const unnamed = await storeAttachments(tx, project.id, run.id, staged, { replay: !fresh.length })
    stepDone('files')
    if (applied.daysDue) {
      await markDaysDue(tx, project.id, run.id, applied.daysDue)
      await ownNewTests(tx, project.id, run.id)
    }
    owingDays = fresh.length ? project.id : undefined
    const number = await recordRunInRollups(tx, run, isNewRun, fresh.length > 0)
    stepDone('rollups')
    const receipt = await receiptOf(tx, { plan, fresh, run: { ...run, number }, project: project.slug, baseUrl, ...applied })
    stepDone('receipt')
    const notKept = unnamed.map(path => ({ item: `attachment ${path}`, reason: 'no test result of this run names this file; it was not kept.' }))
    receipt.rejected = [...receipt.rejected, ...notKept]
    if (fresh.length) deliveries = await writeWebhookEvents(tx, project.id, receipt, baseUrl, run.status)
    return { created: fresh.length > 0, receipt }
  }))
  stepDone('commit')
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

/**
 * Parses every file on parse workers, off the request thread: two at a time when the upload has several, is not large
 * and the pool has a worker to spare (withParsers). A file that is not a readable report fails the whole upload (422)
 * with its name and position (the first such file in upload order), and more results than PROOFDECK_MAX_RESULTS fail
 * it (413) as soon as the files read so far hold them, as does a report that needs more than a parse worker's memory.
 */
async function parseFiles(files: UploadedFile[], format: ReportFormat | undefined): Promise<ParsedFile[]> {
  const max = useConfig().maxResults
  const n = (x: number) => x.toLocaleString('en-US')
  const parsed: ParsedFile[] = []
  /** Results per file read, a refused one's too (the parse worker counts a report whole before it refuses it). */
  const counts: number[] = []
  const failed: { at: number, error: unknown }[] = []
  let total = 0
  let next = 0
  let stopped = false
  const uploadBytes = files.reduce((sum, f) => sum + f.content.byteLength, 0)
  await withParsers(Math.min(files.length, PARSE_AT_ONCE), uploadBytes, parsers => Promise.all(parsers.map(async (parser) => {
    // each parser takes the next file until none is left or one has failed; what is in flight finishes first
    for (let at = next++; at < files.length && !stopped; at = next++) {
      const f = files[at]!
      // hashed and measured first: a large file's bytes move to the parse worker
      const hash = sha256(f.content)
      const bytes = f.content.byteLength
      try {
        const report = await parser.parse(f.content, format, max - total)
        counts[at] = report.count
        total += report.count
        parsed[at] = { name: f.name, hash, bytes, report }
        if (total > max) stopped = true
      }
      catch (error) {
        if (error instanceof TooManyResults) counts[at] = error.count
        else failed.push({ at, error })
        stopped = true
      }
    }
  })))
  // what reading the files one after the other would have met first: the file whose results pass the limit, counted
  // in upload order, or the first file that failed
  const firstFailed = failed.sort((x, y) => x.at - y.at)[0]
  let counted = 0
  for (let at = 0; at < (firstFailed?.at ?? files.length) && counts[at] !== undefined; at++) {
    counted += counts[at]!
    if (counted <= max) continue
    throw payloadTooLarge(`This upload holds ${n(counted)} test results${files.length > 1 ? ` (counted up to ${files[at]!.name})` : ''}; this server takes at most ${n(max)} per upload (PROOFDECK_MAX_RESULTS). Split the run into shards uploaded under one runKey, or raise the limit.`)
  }
  if (!firstFailed) return parsed
  const { at, error: err } = firstFailed
  const f = files[at]!
  if (err instanceof ParserExhausted) {
    throw payloadTooLarge(`${f.name}: reading this report needs more than the ${n(useConfig().parseMemoryMb)} MB a parse worker may use (PROOFDECK_PARSE_MEMORY_MB). Split the run into shards uploaded under one runKey, or raise the limit.`)
  }
  if (!(err instanceof ReportParseError)) throw err
  // said once: a message that names its line already (the XML checks' "at line 6, column 12") gets no second one
  const where = err.line != null && !/\bline \d/.test(err.message) ? ` (line ${err.line}${err.column != null ? `, column ${err.column}` : ''})` : ''
  throw unprocessable(`${f.name}: ${err.message}${where}`, err.code, { file: f.name, line: err.line, column: err.column })
}

type ReportMeta = Partial<Pick<IngestMeta, keyof typeof reportMetaSchema.shape>>

/**
 * The run metadata of the first report that carries any, for the fields the upload does not give, held to the rules
 * of the upload's own metadata (length, URL scheme, commit hash): a value that breaks them is dropped and noted.
 */
function reportMetadata(meta: IngestMeta, parsed: ParsedFile[]): { values: ReportMeta, rejected: Notes['rejected'] } {
  const file = parsed.find(f => Object.keys(f.report.metadata).length)
  const values: Record<string, unknown> = {}
  const rejected: Notes['rejected'] = []
  for (const [k, v] of Object.entries(file?.report.metadata ?? {})) {
    const key = k as keyof ReportMeta
    const schema = reportMetaSchema.shape[key]
    if (!schema || v == null || meta[key] != null) continue
    const r = schema.safeParse(v)
    if (r.success) {
      if (r.data != null) values[key] = r.data
      continue
    }
    const shown = v.length > 60 ? `${JSON.stringify(v.slice(0, 60))}… (${v.length.toLocaleString('en-US')} characters)` : JSON.stringify(v)
    rejected.push({ item: `${file!.name}: the report's ${key} ${shown}`, reason: `${r.error.issues[0]!.message.replace(/\.$/, '')}; it was ignored.` })
  }
  return { values, rejected }
}

function ts(iso: string | null | undefined): Date | null {
  if (!iso) return null
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? null : d
}

/** Run key, branch, commit and start of the run this upload belongs to. */
function planRun(meta: IngestMeta, parsed: ParsedFile[]): RunPlan {
  const { values: reportMeta, rejected } = reportMetadata(meta, parsed)
  for (const f of parsed) for (const d of f.report.dropped ?? []) rejected.push({ item: `${f.name}: ${d.item}`, reason: d.reason })
  // what a parser read otherwise than the report says (unnamed testcases, stats that disagree with the tests)
  for (const f of parsed) for (const w of f.report.warnings) rejected.push({ item: f.name, reason: w })
  const branch = meta.branch ?? reportMeta.branch ?? null
  const commit = meta.commit ?? reportMeta.commit ?? null
  // Without a run key, the content is the key: re-sending the same files is a retry, not a new run.
  const runKey = meta.runKey ?? reportMeta.runKey ?? `auto-${sha256([branch, commit, ...parsed.map(f => f.hash).sort()].join('\n')).slice(0, 32)}`
  const format = parsed[0]?.report.format ?? 'junit'
  const reported = ts(parsed.map(f => f.report.startedAt).filter(Boolean).sort()[0])
  // a report's own start ahead of the server's clock (the query's past a day is refused by its schema) is a local time
  // without its zone or a wrong clock: the upload's time serves
  const ahead = !meta.startedAt && reported && reported.getTime() > Date.now() + MAX_REPORT_AHEAD_MINUTES * 60_000
  if (ahead) {
    const hours = (reported.getTime() - Date.now()) / 3_600_000
    rejected.push({
      item: `the report's start ${reported.toISOString()}`,
      reason: `it is ${hours >= 1 ? `${Math.round(hours).toLocaleString('en-US')} hour${Math.round(hours) === 1 ? '' : 's'}` : `${Math.round(hours * 60)} minutes`} ahead of the server's clock (a local time written without its zone?); the run starts when it was uploaded instead.`,
    })
  }
  const startedAt = ts(meta.startedAt) ?? (ahead ? null : reported) ?? new Date()
  return {
    files: parsed, rejected, runKey, format, ciAttempt: meta.ciAttempt ?? null, shard: meta.shard ?? reportMeta.shard ?? null,
    job: meta.job ?? null,
    values: {
      runKey, branch, commitSha: commit, commitMessage: meta.commitMessage ?? reportMeta.commitMessage ?? null,
      buildUrl: meta.buildUrl ?? reportMeta.buildUrl ?? null, environment: meta.environment ?? reportMeta.environment ?? null,
      job: meta.job ?? null, status: 'empty', format, startedAt,
    },
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
async function applyUpload(
  tx: Tx, projectId: string, run: RunRow, fresh: ParsedFile[], how: UploadOf, planned: Notes['rejected'],
) {
  const { isNewRun } = how
  const upload = foldUpload(fresh.map(f => ({ name: f.name, batches: f.report.batches })))
  const duplicates = upload.duplicates
  const analysis = await storeResults(tx, projectId, run, upload.slices(STORE_SLICE), how)
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
  return { notes, stored, touchedClusters: analysis.touchedClusters, daysDue, uploads: [uploadId] }
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
