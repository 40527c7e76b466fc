import type { ReportFormat } from '#shared/constants'
import { assertNotEmpty, isObject, jsonSyntaxError, lineCol, stripBom } from './common'
import { assertJsonDepth } from './limits'
import { ReportParseError } from './types'

/*
 * Which format a report is in, from its content alone: XML is JUnit; JSON is told apart by its shape.
 */

export type JsonFormat = Exclude<ReportFormat, 'junit'>

const LABEL: Record<ReportFormat, string> = { junit: 'JUnit XML', playwright: 'Playwright JSON', ctrf: 'CTRF JSON', proofdeck: 'Proofdeck JSON' }
export const formatLabel = (f: ReportFormat): string => LABEL[f]

/** Which JSON report a decoded document is, from its shape; throws ReportParseError when it is none of them. */
function detectJsonFormat(doc: unknown): JsonFormat {
  if (isObject(doc)) {
    if (doc.format === 'proofdeck') return 'proofdeck'
    if (isObject(doc.results) || (typeof doc.reportFormat === 'string' && doc.reportFormat.toUpperCase() === 'CTRF')) return 'ctrf'
    if (Array.isArray(doc.suites) || isObject(doc.config) || isObject(doc.stats)) return 'playwright'
    // A Playwright tree under another key (e.g. "tests" instead of "suites"): let its parser say exactly what is wrong.
    for (const v of Object.values(doc)) {
      if (Array.isArray(v) && v.some(x => isObject(x) && Array.isArray(x.specs))) return 'playwright'
    }
  }
  const shape = isObject(doc)
    ? (Object.keys(doc).length ? `its top-level keys are ${Object.keys(doc).slice(0, 8).map(k => JSON.stringify(k)).join(', ')}` : 'it is an empty object')
    : Array.isArray(doc) ? 'it is an array' : `it is a bare ${doc === null ? 'null' : typeof doc}`
  throw new ReportParseError(
    `This JSON is not a report format Proofdeck knows (${shape}): expected a Playwright JSON report (top-level "suites"), a CTRF report ("results.tests") or Proofdeck JSON ("format": "proofdeck").`,
    { code: 'unknown_format' },
  )
}

/** A best guess from the first few kilobytes, used only to word the error for JSON that does not parse. */
function guessFromHead(text: string): JsonFormat | null {
  const head = text.slice(0, 4096)
  if (/"format"\s*:\s*"proofdeck"/.test(head)) return 'proofdeck'
  if (/"results"\s*:\s*\{/.test(head) || /"reportFormat"\s*:\s*"CTRF"/i.test(head)) return 'ctrf'
  if (/"(config|suites)"\s*:/.test(head)) return 'playwright'
  return null
}

export type Sniffed = { format: 'junit' } | { format: JsonFormat, doc: unknown }

/** Detects the format and, for JSON, returns the decoded document too (so it is parsed once). */
export function sniffReport(input: string): Sniffed {
  const text = stripBom(input)
  assertNotEmpty(text)
  const start = text.search(/\S/)
  const c = text[start]
  if (c === '<') return { format: 'junit' }
  if (c === '{' || c === '[') {
    assertJsonDepth(text, 'JSON report')
    let doc: unknown
    try {
      doc = JSON.parse(text)
    }
    catch (err) {
      const guess = guessFromHead(text)
      throw jsonSyntaxError(text, guess ? `${LABEL[guess].replace(' JSON', '')} report` : 'file', err as Error)
    }
    return { format: detectJsonFormat(doc), doc }
  }
  const p = lineCol(text, start)
  const shown = JSON.stringify(text.slice(start, start + 24).replace(/\s+/g, ' '))
  throw new ReportParseError(
    `This file is neither XML nor JSON (it starts with ${shown}): upload a JUnit XML, Playwright JSON, CTRF JSON or Proofdeck JSON report.`,
    { code: 'unknown_format', ...p },
  )
}

/**
 * The format of a report, from its content: XML → junit; JSON with `format: "proofdeck"` → proofdeck, with
 * `results.tests` → ctrf, with `suites`/`config` → playwright. Throws ReportParseError when it cannot tell
 * (empty file, neither XML nor JSON, JSON that does not parse or has an unknown shape).
 */
export function detectFormat(text: string): ReportFormat {
  return sniffReport(text).format
}
