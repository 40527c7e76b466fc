import type { TestStatus } from '../../shared/constants'
import { ReportParseError, type ParsedAttempt, type ParsedResult } from './types'

/** Per-field caps: a result keeps this much of its output and error text, head and tail. */
export const CAPS = { output: 64 * 1024, message: 8 * 1024, stack: 32 * 1024 } as const

/** Keeps the head and the tail of a long text with a marker saying how much was cut. */
export function capText(text: string | null | undefined, max: number): string | null {
  if (text == null || text === '') return null
  if (text.length <= max) return text
  const keep = Math.floor((max - 40) / 2)
  return `${text.slice(0, keep)}\n…[${text.length - 2 * keep} characters omitted]…\n${text.slice(-keep)}`
}

/** Seconds (JUnit `time`, "1.5", "1,5", "1,234.5") to milliseconds; null when absent or not a number. */
export function secondsToMs(value: unknown): number | null {
  if (value == null || value === '') return null
  let s = String(value).trim()
  s = s.includes('.') ? s.replace(/,/g, '') : s.replace(',', '.')
  const n = Number(s)
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : null
}

export function numberOrNull(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN
  return Number.isFinite(n) ? n : null
}

/** ISO string for a date given as ISO, as epoch milliseconds, or as a zone-less timestamp (read as UTC). */
export function isoOrNull(value: unknown): string | null {
  if (value == null || value === '') return null
  let d: Date
  if (typeof value === 'number') d = new Date(value)
  else {
    const s = String(value).trim()
    d = new Date(/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(s) ? `${s}Z` : s)
  }
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

export function firstLine(text: string | null | undefined): string | null {
  if (!text) return null
  const line = text.split('\n').map(l => l.trim()).find(Boolean)
  return line ?? null
}

export function attempt(status: TestStatus, fields: Partial<ParsedAttempt> = {}): ParsedAttempt {
  return { status, durationMs: null, errorMessage: null, errorStack: null, startedAt: null, stdout: null, stderr: null, ...fields }
}

/** A result with every optional part empty; parsers fill what their format has. */
export function result(fields: Pick<ParsedResult, 'title' | 'status' | 'attempts'> & Partial<ParsedResult>): ParsedResult {
  return {
    file: null, line: null, suitePath: [], variant: null, flaky: false, durationMs: null, errorMessage: null, errorStack: null,
    stdout: null, stderr: null, steps: [], annotations: [], attachments: [], tags: [], properties: {}, ...fields,
  }
}

/** JSON.parse with an error that says where the document breaks, for a person. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  }
  catch (err) {
    const msg = (err as Error).message
    const pos = Number(msg.match(/position (\d+)/)?.[1])
    let line: number | null = null
    let column: number | null = null
    if (Number.isFinite(pos)) {
      const before = text.slice(0, pos)
      line = before.split('\n').length
      column = pos - before.lastIndexOf('\n')
    }
    else if (/end of (JSON )?input|Unterminated/i.test(msg)) {
      line = text.split('\n').length
    }
    const reason = /end of (JSON )?input|Unterminated string/i.test(msg) ? 'it ends in the middle of the document (truncated?)' : msg.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+.*$/, '')
    throw new ReportParseError(`This ${what} is not valid JSON: ${reason}.`, { line, column, code: 'malformed_json' })
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
export const asArray = (v: unknown): unknown[] => Array.isArray(v) ? v : []
export const str = (v: unknown): string | null => typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null
