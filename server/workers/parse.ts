import { parentPort } from 'node:worker_threads'
import type { ReportFormat } from '#shared/constants'
import { decodeReport, streamReport, withNotes, ReportParseError, type ParsedReport, type ParsedResult } from '../ingest'
import { packBatch, type PackedBatch } from '../ingest/packed'

/**
 * The report parser off the main thread: one message per file in, its results in packed batches as they are read,
 * several to a message (server/ingest/packed.ts: identities in the clear, the results deflated for a large upload; the
 * buffers move, they are not copied), then the rest of the report. The worker never holds more than one batch of
 * results unpacked (JUnit XML is read in one streaming pass), and the main thread holds a batch as its packed bytes
 * until the store unpacks it. Past the results the upload may still take, results are only counted: the main thread drops what it got
 * and answers with the count.
 */

export interface ParseRequest {
  id: number
  content: Uint8Array
  format: ReportFormat | undefined
  /** Results the upload may still take (PROOFDECK_MAX_RESULTS less the files parsed before). */
  remaining: number
  /** Deflate the batches (a large upload's; server/ingest/packed.ts). */
  deflate: boolean
}

export type ParseReply
  = | { id: number, kind: 'results', batches: PackedBatch[] }
    | { id: number, kind: 'done', report: Omit<ParsedReport, 'results'>, count: number }
    | { id: number, kind: 'too_many', count: number }
    | { id: number, kind: 'invalid', message: string, code: string, line: number | null, column: number | null }
    | { id: number, kind: 'crashed', message: string }

/**
 * Results per packed batch: a batch's JSON stays under V8's large-object size (~128 KB), where a string lives until a
 * full collection (a 50 MB JUnit report parsed with batches of 2,000 peaked at 387 MB in the worker, with 100 at 205).
 */
const BATCH = 100
/**
 * Packed batches per message to the main thread (a packed batch is a few kilobytes). With one per message,
 * `postMessage` was 171 of the worker's 1,234 ms of CPU over four 10,000-result parses under `--cpu-prof`; with 20,
 * 1.4 of 787 ms. The upload's parse step did not move measurably without the profiler (BENCHMARKS.md).
 */
const BATCHES_PER_MESSAGE = 20

/**
 * Lets a large file's bytes go as soon as they are decoded instead of after the parse (50 MB less at the moment the
 * parse peaks): detaching the buffer that this worker owns (the pool moved or copied it here) leaves nothing that
 * holds its memory.
 */
function release(content: Uint8Array): void {
  const buffer = content.buffer
  const whole = content.byteOffset === 0 && content.byteLength === buffer.byteLength
  if (whole && content.byteLength >= 1024 * 1024 && buffer instanceof ArrayBuffer) structuredClone(buffer, { transfer: [buffer] })
}

function handle({ id, content, format, remaining, deflate }: ParseRequest): void {
  const port = parentPort!
  let batch: ParsedResult[] = []
  let packed: PackedBatch[] = []
  let count = 0
  const send = () => {
    if (!packed.length) return
    port.postMessage({ id, kind: 'results', batches: packed } satisfies ParseReply, packed.map(p => p.packed.buffer as ArrayBuffer))
    packed = []
  }
  const pack = (results: ParsedResult[]) => {
    const p = packBatch(results, deflate)
    // a buffer of its own moves; one that shares its memory with others (zlib may hand out a slice) is copied first
    const own = p.packed.byteOffset === 0 && p.packed.byteLength === p.packed.buffer.byteLength
    if (!own) p.packed = new Uint8Array(p.packed)
    packed.push(p)
    if (packed.length >= BATCHES_PER_MESSAGE) send()
  }
  const onResult = (r: ParsedResult) => {
    if (++count > remaining) return
    batch.push(r)
    if (batch.length < BATCH) return
    pack(batch)
    batch = []
  }
  let report: ParsedReport
  try {
    const { value: text, notes } = withNotes(() => decodeReport(content))
    release(content)
    report = streamReport(text, format, onResult)
    if (notes.length) report.dropped = [...notes, ...report.dropped ?? []]
  }
  catch (err) {
    if (err instanceof ReportParseError) port.postMessage({ id, kind: 'invalid', message: err.message, code: err.code, line: err.line, column: err.column } satisfies ParseReply)
    else port.postMessage({ id, kind: 'crashed', message: (err as Error)?.message ?? String(err) } satisfies ParseReply)
    return
  }
  if (count > remaining) {
    port.postMessage({ id, kind: 'too_many', count } satisfies ParseReply)
    return
  }
  if (batch.length) pack(batch)
  send()
  const { results: _none, ...rest } = report
  port.postMessage({ id, kind: 'done', report: rest, count } satisfies ParseReply)
}

parentPort?.on('message', handle)
