import { Worker } from 'node:worker_threads'
import workerCode from '#parse-worker'
import type { ReportFormat } from '#shared/constants'
import { ReportParseError, type ParsedReport } from '../ingest'
import type { PackedBatch } from '../ingest/packed'
import type { ParseReply, ParseRequest } from '../workers/parse'
import { useConfig } from './config'

/**
 * Report parsing on worker threads, so a large or pathological report never holds the event loop that every other
 * request shares (a 1M-testcase JUnit file takes ~30 s to parse). A small pool: a worker costs ~150 ms to start, so
 * idle ones are kept, except after a large upload or a failure, when the worker is closed and its heap (capped by
 * PROOFDECK_PARSE_MEMORY_MB) goes back to the system with it.
 */

/** The report has more results than the upload may still take (what was copied back before the count passed it is dropped). */
export class TooManyResults extends Error {
  constructor(readonly count: number) {
    super(`The report holds ${count} results.`)
  }
}

/** The worker ran out of its memory cap (or died) while reading the report. */
export class ParserExhausted extends Error {}

/** A parsed file: the report, its results packed (server/ingest/packed.ts), and how many results it has (nameless ones too). */
export type PackedReport = Omit<ParsedReport, 'results'> & { batches: PackedBatch[], count: number }

/** Batches of a file as the worker hands them over, before its parse is done (they are in the parsed file too). */
export type OnBatches = (batches: PackedBatch[]) => void

export interface ReportParser {
  /** Parses one file. A large `content` is moved to the worker, not copied: the caller must not read it afterwards. */
  parse(content: Uint8Array, format: ReportFormat | undefined, remaining: number, onBatches?: OnBatches): Promise<PackedReport>
}

interface PooledParser {
  /** As ReportParser's, the batches deflated or not (`deflate`). */
  parse(
    content: Uint8Array, format: ReportFormat | undefined, remaining: number, deflate: boolean, onBatches?: OnBatches,
  ): Promise<PackedReport>
  failed: () => boolean
  close: () => Promise<void>
}

/**
 * Files at least this large move to the worker (transferred) instead of being copied: a copy would be one more
 * report-sized buffer at the moment an upload's memory peaks. Only a buffer that is the whole of its ArrayBuffer
 * moves (a small one may share Node's buffer pool with others).
 */
const TRANSFER_BYTES = 1024 * 1024

/** Uploads larger than this (bytes read by one worker) retire it: its heap grew and would stay grown. */
const RECYCLE_BYTES = 8 * 1024 * 1024

/**
 * Uploads up to this size keep their parsed results as plain JSON, larger ones deflated (server/ingest/packed.ts): the
 * JSON is about 3.5 times the report, so four uploads at once hold at most ~30 MB more (four 7 MB uploads held 114
 * MB more at their peak, 392 → 506 MB, with the bound at 8 MB).
 */
const PLAIN_BYTES = 2 * 1024 * 1024

const idle: PooledParser[] = []
const waiting: ((p: PooledParser) => void)[] = []
let live = 0

/**
 * Runs `use` with parsers from the pool (at most PROOFDECK_PARSE_WORKERS workers): one, waiting for it when all are busy
 * (more uploads wait their turn), and for an upload of several files up to `wanted` in all when the pool has more to
 * spare right now, so its files are read side by side, never at the cost of another upload's wait. Only an upload
 * under RECYCLE_BYTES gets more than one: two workers reading a large upload's files would hold two parse heaps at
 * once, where the memory of a 50 MB upload is bounded for one. Every parse a parser was given has ended before it
 * goes back to the pool.
 */
export async function withParsers<T>(wanted: number, bytes: number, use: (parsers: ReportParser[]) => Promise<T>): Promise<T> {
  if (bytes > RECYCLE_BYTES) wanted = 1
  const pooled = [await acquire()]
  while (pooled.length < wanted) {
    const extra = available()
    if (!extra) break
    pooled.push(extra)
  }
  const read = pooled.map(() => 0)
  try {
    return await use(pooled.map((parser, i) => ({
      parse(content, format, remaining, onBatches) {
        read[i]! += content.byteLength
        // an upload past PLAIN_BYTES holds its results deflated until they are stored; a smaller one as plain JSON
        return parser.parse(content, format, remaining, bytes > PLAIN_BYTES, onBatches)
      },
    })))
  }
  finally {
    pooled.forEach((parser, i) => release(parser, read[i]!))
  }
}

/** A parser without waiting: an idle one, or a new one while the pool is under its size; null when neither. */
function available(): PooledParser | null {
  for (let ready = idle.pop(); ready; ready = idle.pop()) {
    if (!ready.failed()) return ready
    live--
  }
  if (live >= useConfig().parseWorkers) return null
  live++
  return openParser()
}

function acquire(): Promise<PooledParser> {
  // an idle worker that died meanwhile is dropped, not handed out (its upload would read as "out of memory")
  const ready = available()
  return ready ? Promise.resolve(ready) : new Promise(resolve => waiting.push(resolve))
}

function release(parser: PooledParser, bytes: number): void {
  const retire = parser.failed() || bytes > RECYCLE_BYTES
  if (retire) void parser.close()
  const waiter = waiting.shift()
  if (waiter) return waiter(retire ? openParser() : parser)
  if (retire) live--
  else idle.push(parser)
}

/** The parse a worker is doing: its batches so far, and how it ends. */
interface PendingParse {
  id: number
  batches: PackedBatch[]
  onBatches?: OnBatches
  resolve: (r: PackedReport) => void
  reject: (e: Error) => void
}

function openParser(): PooledParser {
  const worker = new Worker(workerCode, {
    eval: true,
    resourceLimits: { maxOldGenerationSizeMb: useConfig().parseMemoryMb },
  })
  worker.unref()
  let next = 0
  let pending: PendingParse | null = null
  let failure: Error | null = null

  const fail = (err: Error) => {
    failure = err
    pending?.reject(err)
    pending = null
  }
  worker.on('error', err => fail((err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? new ParserExhausted(err.message) : err))
  worker.on('exit', () => fail(new ParserExhausted('The report parser stopped.')))
  worker.on('message', (reply: ParseReply) => {
    if (!pending || reply.id !== pending.id) return
    const p = pending
    switch (reply.kind) {
      case 'results':
        p.batches.push(...reply.batches)
        p.onBatches?.(reply.batches)
        return
      case 'done':
        pending = null
        return p.resolve({ ...reply.report, batches: p.batches, count: reply.count })
      case 'too_many':
        pending = null
        return p.reject(new TooManyResults(reply.count))
      case 'invalid':
        pending = null
        return p.reject(new ReportParseError(reply.message, reply))
      case 'crashed':
        pending = null
        return p.reject(new Error(reply.message))
    }
  })

  return {
    failed: () => failure !== null,
    parse(content, format, remaining, deflate, onBatches) {
      if (failure) return Promise.reject(failure)
      return new Promise((resolve, reject) => {
        pending = { id: ++next, batches: [], onBatches, resolve, reject }
        const whole = content.byteLength >= TRANSFER_BYTES && content.byteOffset === 0 && content.byteLength === content.buffer.byteLength
        const request: ParseRequest = { id: next, content, format, remaining, deflate }
        worker.postMessage(request, whole ? [content.buffer as ArrayBuffer] : [])
      })
    },
    async close() {
      worker.removeAllListeners('exit')
      await worker.terminate()
    },
  }
}
