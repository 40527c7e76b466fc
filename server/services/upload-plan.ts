import { sha256 } from '../ingest/merge'
import type { BatchFeed, FoldedUpload } from '../ingest/packed'
import { foldUpload, NotStreamable, streamSlices } from '../ingest/packed'
import { junitStartHint } from '../ingest'
import type { MergedResult } from '../ingest/merge'
import { ReportParseError } from '../ingest/types'
import type { ReportFormat } from '#shared/constants'
import { MAX_REPORT_AHEAD_MINUTES, reportMetaSchema, type IngestMeta } from '#shared/schemas/ingest'
import type { IngestReceipt } from '#shared/types/ingest'
import type { UploadOf } from './run-results'
import { useDbHandle, type schema } from '../db'
import { useConfig } from '../utils/config'
import { stepDone } from '../utils/steps'
import { payloadTooLarge, unprocessable } from '../utils/errors'
import { ParserExhausted, TooManyResults, withParsers, type PackedReport } from '../utils/parser'

/*
 * An upload's files read (on parse workers) and the run they describe (./ingest.ts stores it): parsed whole before the
 * transaction, or, for JUnit XML on Postgres, streamed into it while their parse still reads them.
 */

type Rejected = IngestReceipt['rejected']

export interface UploadedFile {
  name: string
  content: Uint8Array
}

export interface ParsedFile {
  name: string
  hash: string
  bytes: number
  report: PackedReport
}

/** The run an upload describes, from the upload's metadata with the report's own as fallback. */
export interface RunPlan {
  files: ParsedFile[]
  /** Values of the reports that were left out (invalid metadata, impossible dates), for the receipt. */
  rejected: Rejected
  runKey: string
  format: ReportFormat
  values: Omit<typeof schema.runs.$inferInsert, 'projectId'>
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

/** How much of a file's head is read for the run's start before the parse (the root and first suites' tags). */
const HEAD_BYTES = 64 * 1024

/**
 * The run of an upload planned before its parse, so that its results are stored while the parse still reads them:
 * JUnit XML files (each one's start is in its first tags, junitStartHint; the run's is the earliest) on Postgres. Null
 * otherwise (other formats say their start or metadata at the end; the embedded database would be held by the
 * transaction while the parse runs, and every other request with it). The plan the parse makes is checked against
 * this one (streamedResults).
 */
export async function streamedPlan(meta: IngestMeta, files: UploadedFile[], hashes: string[], now: Date): Promise<RunPlan | null> {
  if (!files.length || (meta.format && meta.format !== 'junit') || (await useDbHandle()).driver !== 'postgres') return null
  const decoder = new TextDecoder()
  const planned: ParsedFile[] = []
  for (const [at, f] of files.entries()) {
    const startedAt = junitStartHint(decoder.decode(f.content.subarray(0, HEAD_BYTES)))
    if (startedAt === undefined) return null
    const report: PackedReport = {
      format: 'junit', tool: null, startedAt, durationMs: null, errors: [], stdout: null, stderr: null, metadata: {}, warnings: [],
      batches: [], count: 0,
    }
    planned.push({ name: f.name, hash: hashes[at]!, bytes: f.content.byteLength, report })
  }
  return planRun(meta, planned, now)
}

/** Where an upload's merged results come from, and what the upload is once they are all stored. */
export interface UploadResults {
  slices: Iterable<MergedResult[]> | AsyncIterable<MergedResult[]>
  /** Once every slice is stored: the plan and files of the upload as parsed, and its fold's notes. */
  settled: () => Promise<{ plan: RunPlan, fresh: ParsedFile[], upload: Pick<FoldedUpload, 'rejected' | 'duplicates'> }>
}

/** The new files of a parsed upload, folded (server/ingest/packed.ts). */
export function wholeResults(plan: RunPlan, fresh: ParsedFile[]): UploadResults {
  const upload = foldUpload(fresh.map(f => ({ name: f.name, batches: f.report.batches })))
  return { slices: upload.slices(STORE_SLICE), settled: async () => ({ plan, fresh, upload }) }
}

/**
 * The files of an upload as their parse hands their batches over, in upload order (streamSlices). Once they are
 * stored, the parse must have read what was planned: the same run (its start, format, metadata) and every test once;
 * else NotStreamable, and the upload is stored again, read whole.
 */
export function streamedResults(
  feeds: BatchFeed[], parsing: Promise<ParsedFile[]>, meta: IngestMeta, early: RunPlan, now: Date,
): UploadResults {
  let reading = 0
  async function* batches() {
    for (; reading < feeds.length; reading++) yield* feeds[reading]!.batches(() => stepDone('parse'))
  }
  return {
    slices: streamSlices(batches(), () => feeds[reading]?.ready() ?? true, STORE_SLICE),
    settled: async () => {
      const parsed = await parsing.catch(() => {
        throw new NotStreamable('the report could not be read')
      })
      stepDone('parse')
      const plan = planRun(meta, parsed, now)
      const run = (p: RunPlan) => JSON.stringify([p.runKey, p.format, p.ciAttempt, p.shard, p.job, p.values, p.files.map(f => f.hash)])
      if (run(plan) !== run(early)) throw new NotStreamable('the report says another run than its head')
      const upload = foldUpload(parsed.map(f => ({ name: f.name, batches: f.report.batches })))
      return { plan, fresh: parsed, upload }
    },
  }
}

/**
 * Parses every file on parse workers, off the request thread: two at a time when the upload has several, is not large
 * and the pool has a worker to spare (withParsers). A file that is not a readable report fails the whole upload (422)
 * with its name and position (the first such file in upload order), and more results than PROOFDECK_MAX_RESULTS fail
 * it (413) as soon as the files read so far hold them, as does a report that needs more than a parse worker's memory.
 */
export async function parseFiles(
  files: UploadedFile[], hashes: string[], format: ReportFormat | undefined, feeds?: BatchFeed[],
): Promise<ParsedFile[]> {
  try {
    const parsed = await parseEach(files, hashes, format, feeds)
    for (const feed of feeds ?? []) feed.end()
    return parsed
  }
  catch (err) {
    for (const feed of feeds ?? []) feed.fail()
    throw err
  }
}

/** parseFiles, each file's batches handed to its feed as they come, and the feed ended when the file is read. */
async function parseEach(
  files: UploadedFile[], hashes: string[], format: ReportFormat | undefined, feeds: BatchFeed[] | undefined,
): Promise<ParsedFile[]> {
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
      const hash = hashes[at]!
      // measured first: a large file's bytes move to the parse worker
      const bytes = f.content.byteLength
      try {
        const report = await parser.parse(f.content, format, max - total, feeds?.[at]?.push)
        feeds?.[at]?.end()
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
function reportMetadata(meta: IngestMeta, parsed: ParsedFile[]): { values: ReportMeta, rejected: Rejected } {
  const file = parsed.find(f => Object.keys(f.report.metadata).length)
  const values: Record<string, unknown> = {}
  const rejected: Rejected = []
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
export function planRun(meta: IngestMeta, parsed: ParsedFile[], now: Date): RunPlan {
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
  const startedAt = ts(meta.startedAt) ?? (ahead ? null : reported) ?? now
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
