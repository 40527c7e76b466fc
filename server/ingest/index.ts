import type { ReportFormat } from '#shared/constants'
import { stripBom } from './common'
import { parseCtrf, parseCtrfObject } from './ctrf'
import { formatLabel, sniffReport } from './detect'
import { parseJunit, streamJunit } from './junit'
import { withNotes } from './limits'
import { parseNative, parseNativeObject } from './native'
import { parsePlaywright, parsePlaywrightObject } from './playwright'
import { playwrightTopLevel, streamPlaywrightTop } from './playwright-stream'
import { ReportParseError, type ParsedReport, type ParsedResult } from './types'

export { CAPS, MAX_OUTPUT_BYTES, capText, decodeReport } from './common'
export { withNotes } from './limits'
export { FIELD_CAPS, MAX_NESTING } from './limits'
export { detectFormat } from './detect'
export { junitStartHint } from './junit'
export { ReportParseError } from './types'
export type * from './types'

/**
 * Parses a report into the normalised shape. The format is detected from the content unless given. Throws
 * ReportParseError, whose message is a sentence for a person (with line/column where known), for anything that is
 * not a readable report of that format. Pure: text in, report out.
 */
export function parseReport(text: string, format?: ReportFormat): ParsedReport {
  const { value: report, notes } = withNotes(() => parseAs(text, format))
  if (notes.length) report.dropped = notes
  return report
}

/**
 * Like parseReport, but each result goes to `onResult` as it is read and the report comes back without results:
 * JUnit XML and Playwright JSON are read in one streaming pass, so a large report is never held whole; CTRF and
 * our own JSON are parsed whole and then handed over one by one.
 */
export function streamReport(text: string, format: ReportFormat | undefined, onResult: (r: ParsedResult) => void): ParsedReport {
  const { value: report, notes } = withNotes(() => parseAs(text, format, onResult))
  if (notes.length) report.dropped = notes
  return report
}

function parseAs(text: string, format: ReportFormat | undefined, onResult?: (r: ParsedResult) => void): ParsedReport {
  const junit = () => onResult ? streamJunit(text, onResult) : parseJunit(text)
  // a document that is not certainly a Playwright report is parsed whole as before, errors included
  const streamed = (sniffing: boolean) => {
    const top = onResult && playwrightTopLevel(text, sniffing ? 'JSON report' : 'Playwright report', sniffing)
    return top ? streamPlaywrightTop(top, onResult) : null
  }
  const handOver = (report: ParsedReport): ParsedReport => {
    if (!onResult) return report
    const { results } = report
    report.results = []
    for (let i = 0; i < results.length; i++) {
      onResult(results[i]!)
      results[i] = undefined as unknown as ParsedResult // handed over: the parse holds it no longer
    }
    return report
  }
  if (format) {
    const first = stripBom(text).trimStart()[0]
    const isXml = first === '<'
    const isJson = first === '{' || first === '['
    if ((format === 'junit' && isJson) || (format !== 'junit' && isXml)) {
      throw new ReportParseError(`The file was sent as ${formatLabel(format)}, but it is ${isXml ? 'XML' : 'JSON'}. Send it without a format to have it detected, or with the right one.`, { code: 'format_mismatch', line: 1, column: 1 })
    }
    switch (format) {
      case 'junit': return junit()
      case 'playwright': return streamed(false) ?? handOver(parsePlaywright(text))
      case 'ctrf': return handOver(parseCtrf(text))
      case 'proofdeck': return handOver(parseNative(text))
    }
  }
  const playwright = streamed(true)
  if (playwright) return playwright
  const sniffed = sniffReport(text)
  switch (sniffed.format) {
    case 'junit': return junit()
    case 'playwright': return handOver(parsePlaywrightObject(sniffed.doc))
    case 'ctrf': return handOver(parseCtrfObject(sniffed.doc))
    case 'proofdeck': return handOver(parseNativeObject(sniffed.doc))
  }
}
