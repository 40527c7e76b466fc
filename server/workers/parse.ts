import { parentPort } from 'node:worker_threads'
import type { ReportFormat } from '#shared/constants'
import { streamReport, ReportParseError, type ParsedReport, type ParsedResult } from '../ingest'
import { packBatch, type PackedBatch } from '../ingest/packed'

/**
 * The report parser off the main thread: one message per file in, its results in packed batches as they are read
 * (server/ingest/packed.ts: identities in the clear, the results deflated; the buffer moves, it is not copied), then
 * the rest of the report. The worker never holds more than one batch of results (JUnit XML is read in one streaming
 * pass), and the main thread holds a batch as its packed bytes until the store unpacks it. Past the results the
 * upload may still take, results are only counted: the main thread drops what it got and answers with the count.
 */

export interface ParseRequest {
  id: number
  content: Uint8Array
  format: ReportFormat | undefined
  /** Results the upload may still take (PROOFDECK_MAX_RESULTS less the files parsed before). */
  remaining: number
}

export type ParseReply
  = | { id: number, kind: 'results', batch: PackedBatch }
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
 * Lets a large file's bytes go as soon as they are decoded instead of after the parse (50 MB less at the moment the
 * parse peaks): detaching the buffer that this worker owns (the pool moved or copied it here) leaves nothing that
 * holds its memory.
 */
function release(content: Uint8Array): void {
  const buffer = content.buffer
  const whole = content.byteOffset === 0 && content.byteLength === buffer.byteLength
  if (whole && content.byteLength >= 1024 * 1024 && buffer instanceof ArrayBuffer) structuredClone(buffer, { transfer: [buffer] })
}

function handle({ id, content, format, remaining }: ParseRequest): void {
  const port = parentPort!
  let batch: ParsedResult[] = []
  let count = 0
  const post = (results: ParsedResult[]) => {
    const packed = packBatch(results)
    // a buffer of its own moves; one that shares its memory with others (zlib may hand out a slice) is copied first
    const own = packed.packed.byteOffset === 0 && packed.packed.byteLength === packed.packed.buffer.byteLength
    if (!own) packed.packed = new Uint8Array(packed.packed)
    port.postMessage({ id, kind: 'results', batch: packed } satisfies ParseReply, [packed.packed.buffer as ArrayBuffer])
  }
  const onResult = (r: ParsedResult) => {
    if (++count > remaining) return
    batch.push(r)
    if (batch.length < BATCH) return
    post(batch)
    batch = []
  }
  let report: ParsedReport
  try {
    const text = new TextDecoder('utf-8').decode(content)
    release(content)
    report = streamReport(text, format, onResult)
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
  if (batch.length) post(batch)
  const { results: _none, ...rest } = report
  port.postMessage({ id, kind: 'done', report: rest, count } satisfies ParseReply)
}

parentPort?.on('message', handle)
