import type { ReportFormat } from '#shared/constants'
import { stripBom } from './common'
import { parseCtrf, parseCtrfObject } from './ctrf'
import { formatLabel, sniffReport } from './detect'
import { parseJunit } from './junit'
import { withNotes } from './limits'
import { parseNative, parseNativeObject } from './native'
import { parsePlaywright, parsePlaywrightObject } from './playwright'
import { ReportParseError, type ParsedReport } from './types'

export { CAPS, MAX_OUTPUT_BYTES, capText } from './common'
export { FIELD_CAPS, MAX_NESTING } from './limits'
export { detectFormat } from './detect'
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

function parseAs(text: string, format: ReportFormat | undefined): ParsedReport {
  if (format) {
    const first = stripBom(text).trimStart()[0]
    const isXml = first === '<'
    const isJson = first === '{' || first === '['
    if ((format === 'junit' && isJson) || (format !== 'junit' && isXml)) {
      throw new ReportParseError(`The file was sent as ${formatLabel(format)}, but it is ${isXml ? 'XML' : 'JSON'}. Send it without a format to have it detected, or with the right one.`, { code: 'format_mismatch', line: 1, column: 1 })
    }
    switch (format) {
      case 'junit': return parseJunit(text)
      case 'playwright': return parsePlaywright(text)
      case 'ctrf': return parseCtrf(text)
      case 'proofdeck': return parseNative(text)
    }
  }
  const sniffed = sniffReport(text)
  switch (sniffed.format) {
    case 'junit': return parseJunit(text)
    case 'playwright': return parsePlaywrightObject(sniffed.doc)
    case 'ctrf': return parseCtrfObject(sniffed.doc)
    case 'proofdeck': return parseNativeObject(sniffed.doc)
  }
}
