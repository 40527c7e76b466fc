import { parentPort } from 'node:worker_threads'
import type { ReportFormat } from '#shared/constants'
import { streamReport, ReportParseError, type ParsedReport, type ParsedResult } from '../ingest'

/**
 * The report parser off the main thread: one message per file in, its results in batches as they are read, then
 * the rest of the report. The worker never holds more than one batch of results (JUnit XML is read in one streaming
 * pass), and the main thread takes them in small steps between other requests. Past the results the upload may
 * still take, results are only counted: the main thread drops what it got and answers with the count.
 */

export interface ParseRequest {
  id: number
  content: Uint8Array
  format: ReportFormat | undefined
  /** Results the upload may still take (PROOFDECK_MAX_RESULTS less the files parsed before). */
  remaining: number
}

export type ParseReply
  = | { id: number, kind: 'results', results: ParsedResult[] }
    | { id: number, kind: 'done', report: Omit<ParsedReport, 'results'> }
    | { id: number, kind: 'too_many', count: number }
    | { id: number, kind: 'invalid', message: string, code: string, line: number | null, column: number | null }
    | { id: number, kind: 'crashed', message: string }

const BATCH = 2000

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
  const onResult = (r: ParsedResult) => {
    if (++count > remaining) return
    batch.push(r)
    if (batch.length < BATCH) return
    port.postMessage({ id, kind: 'results', results: batch } satisfies ParseReply)
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
  if (batch.length) port.postMessage({ id, kind: 'results', results: batch } satisfies ParseReply)
  const { results: _none, ...rest } = report
  port.postMessage({ id, kind: 'done', report: rest } satisfies ParseReply)
}

parentPort?.on('message', handle)
