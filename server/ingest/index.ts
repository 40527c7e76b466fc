import type { ReportFormat } from '../../shared/constants'
import { isObject, parseJson } from './common'
import { parseCtrfObject } from './ctrf'
import { parseJunit } from './junit'
import { parseNativeObject } from './native'
import { parsePlaywrightObject } from './playwright'
import { ReportParseError, type ParsedReport } from './types'

export { capText, CAPS } from './common'
export { ReportParseError } from './types'
export type * from './types'

const JSON_PARSERS = { playwright: parsePlaywrightObject, ctrf: parseCtrfObject, proofdeck: parseNativeObject } as const

/** Which JSON report this is, from its shape. */
function detectJson(doc: unknown): Exclude<ReportFormat, 'junit'> {
  if (isObject(doc)) {
    if (doc.format === 'proofdeck') return 'proofdeck'
    if (isObject(doc.results) && Array.isArray(doc.results.tests)) return 'ctrf'
    if (Array.isArray(doc.suites) || (isObject(doc.config) && 'suites' in doc)) return 'playwright'
    if (isObject(doc.config) || 'stats' in doc) return 'playwright' // rejected by its parser with a precise message
  }
  throw new ReportParseError('This JSON is not a report Proofdeck knows: expected a Playwright JSON report (top-level "suites"), a CTRF report ("results.tests") or Proofdeck JSON ("format": "proofdeck").', { code: 'unknown_format' })
}

/** Detects the format from the content (unless told) and parses. Throws ReportParseError with a sentence for people. */
export function parseReport(input: string, format?: ReportFormat): ParsedReport {
  const text = input.charCodeAt(0) === 0xFEFF ? input.slice(1) : input
  const head = text.trimStart()
  if (!head) throw new ReportParseError('The file is empty (0 bytes or only whitespace).', { code: 'empty_report', line: 1, column: 0 })
  if (format === 'junit' || (!format && head.startsWith('<'))) return parseJunit(text)
  if (!format && !head.startsWith('{') && !head.startsWith('[')) {
    throw new ReportParseError('This file is neither XML nor JSON: upload a JUnit XML, Playwright JSON or CTRF JSON report.', { code: 'unknown_format', line: 1, column: 1 })
  }
  const doc = parseJson(text, format ? `${format} report` : 'report')
  return JSON_PARSERS[format ?? detectJson(doc)](doc)
}
