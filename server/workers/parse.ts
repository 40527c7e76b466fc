import { parentPort } from 'node:worker_threads'
import type { ReportFormat } from '#shared/constants'
import { parseReport, ReportParseError, type ParsedReport } from '../ingest'

/**
 * The report parser off the main thread: one message per file in, its report out. Results travel in batches so the
 * main thread takes them in small steps between other requests; a report with more results than the upload may still
 * take is refused here, before any of them is copied back.
 */

export interface ParseRequest {
  id: number
  content: Uint8Array
  format: ReportFormat | undefined
  /** Results the upload may still take (PROOFDECK_MAX_RESULTS less the files parsed before). */
  remaining: number
}

export type ParseReply
  = | { id: number, kind: 'results', results: ParsedReport['results'] }
    | { id: number, kind: 'done', report: Omit<ParsedReport, 'results'> }
    | { id: number, kind: 'too_many', count: number }
    | { id: number, kind: 'invalid', message: string, code: string, line: number | null, column: number | null }
    | { id: number, kind: 'crashed', message: string }

const BATCH = 2000

function handle({ id, content, format, remaining }: ParseRequest): void {
  const port = parentPort!
  let report: ParsedReport
  try {
    report = parseReport(new TextDecoder('utf-8').decode(content), format)
  }
  catch (err) {
    if (err instanceof ReportParseError) port.postMessage({ id, kind: 'invalid', message: err.message, code: err.code, line: err.line, column: err.column } satisfies ParseReply)
    else port.postMessage({ id, kind: 'crashed', message: (err as Error)?.message ?? String(err) } satisfies ParseReply)
    return
  }
  const { results, ...rest } = report
  if (results.length > remaining) {
    port.postMessage({ id, kind: 'too_many', count: results.length } satisfies ParseReply)
    return
  }
  for (let i = 0; i < results.length; i += BATCH) {
    port.postMessage({ id, kind: 'results', results: results.slice(i, i + BATCH) } satisfies ParseReply)
  }
  port.postMessage({ id, kind: 'done', report: rest } satisfies ParseReply)
}

parentPort?.on('message', handle)
