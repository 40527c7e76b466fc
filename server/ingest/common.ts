import { hash } from 'node:crypto'
import type { TestStatus } from '#shared/constants'
import { withoutAnsi } from '../analysis/ansi'
import { FIELD_CAPS, assertJsonDepth, boundLists, note } from './limits'
import { ReportParseError, type ParsedAttempt, type ParsedResult } from './types'

/*
 * Helpers shared by the parsers. Everything here is pure and linear in the size of its input.
 */

/** Per-field caps, in UTF-8 bytes. Longer text keeps its head and tail around a `…[N bytes omitted]…` marker. */
export const MAX_OUTPUT_BYTES = 64 * 1024
const MAX_MESSAGE_BYTES = 16 * 1024
const MAX_STACK_BYTES = 64 * 1024
/** Property values, annotation descriptions, step errors: small by nature, so a runaway one is cut hard. */
const MAX_SHORT_TEXT_BYTES = 4 * 1024

export const CAPS = {
  output: MAX_OUTPUT_BYTES,
  message: MAX_MESSAGE_BYTES,
  stack: MAX_STACK_BYTES,
  short: MAX_SHORT_TEXT_BYTES,
} as const

const HIGH_SURROGATE = (c: number) => c >= 0xD800 && c <= 0xDBFF
const LOW_SURROGATE = (c: number) => c >= 0xDC00 && c <= 0xDFFF

/** The first `bytes` UTF-8 bytes of `s` (or fewer, never splitting a character). */
function headBytes(s: string, bytes: number): string {
  if (bytes <= 0) return ''
  let chunk = s.slice(0, bytes) // a UTF-16 unit is at least one byte, so this holds at least `bytes` bytes
  if (chunk.length && HIGH_SURROGATE(chunk.charCodeAt(chunk.length - 1))) chunk = chunk.slice(0, -1)
  const buf = Buffer.from(chunk, 'utf8')
  if (buf.length <= bytes) return chunk
  let cut = bytes
  while (cut > 0 && (buf[cut]! & 0xC0) === 0x80) cut-- // back to the start of the character that straddles the cut
  return buf.subarray(0, cut).toString('utf8')
}

/** The last `bytes` UTF-8 bytes of `s` (or fewer, never splitting a character). */
function tailBytes(s: string, bytes: number): string {
  if (bytes <= 0) return ''
  let chunk = s.slice(-bytes)
  if (chunk.length && LOW_SURROGATE(chunk.charCodeAt(0))) chunk = chunk.slice(1)
  const buf = Buffer.from(chunk, 'utf8')
  if (buf.length <= bytes) return chunk
  let start = buf.length - bytes
  while (start < buf.length && (buf[start]! & 0xC0) === 0x80) start++ // forward to the next character start
  return buf.subarray(start).toString('utf8')
}

/**
 * Caps a text field at `max` UTF-8 bytes, keeping its head and its tail (where a stack's root cause and a log's
 * last words usually are) around a marker saying how many bytes were cut: `…[1234 bytes omitted]…`.
 * Empty and missing text become null. The result is never longer than `max` bytes.
 */
export function capText(raw: string | null | undefined, max: number): string | null {
  if (raw == null || raw === '') return null
  // NUL, which Postgres text and jsonb refuse, and lone surrogates, which are not UTF-8, go before measuring.
  const text = raw.includes('\0') || !raw.isWellFormed() ? raw.replace(/\0/g, '').toWellFormed() : raw
  if (text === '') return null
  if (text.length * 3 <= max) return text // cheap exit: a UTF-16 unit is at most 3 UTF-8 bytes
  const total = Buffer.byteLength(text, 'utf8')
  if (total <= max) return text
  const longestMarker = Buffer.byteLength(`\n…[${total} bytes omitted]…\n`, 'utf8')
  if (max <= longestMarker + 2) return headBytes(text, max) || null
  const half = Math.floor((max - longestMarker) / 2)
  const head = headBytes(text, half)
  const tail = tailBytes(text, half)
  const omitted = total - Buffer.byteLength(head, 'utf8') - Buffer.byteLength(tail, 'utf8')
  return `${head}\n…[${omitted} bytes omitted]…\n${tail}`
}

/**
 * A test's name as stored: capped at FIELD_CAPS.title and, only when it was cut, a hash of the whole name beside it
 * (testIdentity reads it), so two long names that differ only in the part cut out stay two tests.
 */
export function testTitle(raw: string | null | undefined): { title: string, titleHash?: string } {
  const title = capText(raw, FIELD_CAPS.title) ?? ''
  if (!raw || raw.length * 3 <= FIELD_CAPS.title) return { title }
  const whole = raw.replaceAll('\0', '')
  return Buffer.byteLength(whole, 'utf8') > FIELD_CAPS.title ? { title, titleHash: hash('sha256', whole).slice(0, 16) } : { title }
}

/** How many times `key` was counted before this time (0 the first time): which repetition of a test a result is. */
export function countBefore(seen: Map<string, number>, key: string): number {
  const before = seen.get(key) ?? 0
  seen.set(key, before + 1)
  return before
}

/** A name-like field (title, suite, file, tag…): a string capped at `max` bytes, else null. */
export const field = (v: unknown, max: number): string | null => capText(str(v), max)

/** A name-like field that is trimmed first; null when blank. */
export const trimmedField = (v: unknown, max: number): string | null => capText(str(v)?.trim(), max)

/** An object key or property name: capped, NUL-free, '' when there is nothing left. */
export const keyOf = (k: string): string => capText(k.trim(), FIELD_CAPS.key) ?? ''

/** Strips a leading byte-order mark (U+FEFF), which editors and .NET tools like to write. */
export const stripBom = (text: string): string => text.charCodeAt(0) === 0xFEFF ? text.slice(1) : text

/** An XML declaration's single-byte Western encoding (`<?xml … encoding="ISO-8859-1"?>`), read as Windows-1252. */
const LATIN_DECLARED = /^\s*<\?xml[^>]*\bencoding\s*=\s*["'](iso-8859-1|iso-8859-15|latin-?1|windows-1252|cp1252|us-ascii)["']/i

/** What Windows-1252 has at 0x80–0x9F (the five bytes it leaves undefined stay the control characters, as WHATWG says). */
const CP1252_HIGH = '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F'
  + '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178'

/**
 * Windows-1252 bytes as text. Node 20's TextDecoder('windows-1252') (and 'latin1', its alias) reads 0x80–0x9F as the
 * control characters of ISO-8859-1: a Windows writer's ’ “ ” – € came out as invisible characters.
 */
function decodeWindows1252(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  return /[\x80-\x9F]/.test(text) ? text.replace(/[\x80-\x9F]/g, c => CP1252_HIGH[c.charCodeAt(0) - 0x80]!) : text
}

/**
 * A report's bytes as text: UTF-8, or UTF-16 when they say so (a byte-order mark, or a first `<`, `{` or `[` followed
 * or preceded by a zero byte), which Windows PowerShell writes by default (`>` and Out-File in 5.1), or the Western
 * single-byte encoding an XML declaration names. Bytes that are not UTF-8 are read as U+FFFD and noted (run it
 * within withNotes), not changed in silence.
 */
export function decodeReport(bytes: Uint8Array): string {
  const [a, b] = [bytes[0], bytes[1]]
  const opener = (c: number | undefined) => c === 0x3C || c === 0x7B || c === 0x5B
  if ((a === 0xFF && b === 0xFE) || (opener(a) && b === 0)) return new TextDecoder('utf-16le').decode(bytes)
  if ((a === 0xFE && b === 0xFF) || (a === 0 && opener(b))) return new TextDecoder('utf-16be').decode(bytes)
  if (LATIN_DECLARED.test(new TextDecoder('latin1').decode(bytes.subarray(0, 200)))) return decodeWindows1252(bytes)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  }
  catch {
    const text = new TextDecoder('utf-8').decode(bytes)
    let replaced = 0
    for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) replaced++
    const kept = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').split('\xEF\xBF\xBD').length - 1
    note('its bytes', `${replaced - kept} byte sequences that are not UTF-8 were read as \uFFFD (save the report as UTF-8, or declare its encoding)`)
    return text
  }
}

/** 1-based line and column of a UTF-16 offset. Linear; only called on the error path. */
export function lineCol(text: string, offset: number): { line: number, column: number } {
  let line = 1
  let lineStart = 0
  const end = Math.min(Math.max(offset, 0), text.length)
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return { line, column: end - lineStart + 1 }
}

export const at = (p: { line: number, column: number }) => `line ${p.line}, column ${p.column}`

/** Refuses an empty (or whitespace-only) upload with a sentence that says which. */
export function assertNotEmpty(text: string): void {
  if (text.length === 0) throw new ReportParseError('The file is empty (0 bytes).', { code: 'empty_report', line: 1, column: 1 })
  if (!text.trim()) {
    throw new ReportParseError(`The file contains only whitespace (${Buffer.byteLength(text, 'utf8')} bytes), no report.`, { code: 'empty_report', line: 1, column: 1 })
  }
}

/**
 * Seconds to milliseconds: JUnit `time` ("1.5", "1,5", "1,234.5", "1.234,5", "0.2s"). Null when absent, empty,
 * negative or not a number at all (e.g. a template's `<<computed>>`). Microsecond precision is kept.
 */
export function secondsToMs(value: unknown): number | null {
  if (value == null) return null
  if (typeof value === 'string' && plainDecimal(value)) return durationMs(Math.round(Number(value) * 1e6) / 1e3, value)
  let s = String(value).trim().replace(/\s*s(?:ec(?:onds?)?)?$/i, '')
  if (!s) return null
  const dot = s.lastIndexOf('.')
  const comma = s.lastIndexOf(',')
  if (comma > dot) s = s.replace(/\./g, '').replace(',', '.') // "1.234,5" or "1,5": the comma is the decimal point
  s = s.replace(/,/g, '') // "1,234.5": commas group thousands
  // a word (`abc`, `NaN`) is no duration either: dropped, and said, as an impossible number is
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return refusedDuration(value)
  const n = Number(s)
  return durationMs(Number.isFinite(n) ? Math.round(n * 1e6) / 1e3 : n, value)
}

/** Digits with at most one "." among them (`0.123`, `12`): what almost every writer puts in `time`, read by Number as is. */
function plainDecimal(s: string): boolean {
  const n = s.length
  if (n === 0 || n > 20) return false
  let dots = 0
  let digits = 0
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) digits++
    else if (c === 46 && ++dots === 1) continue
    else return false
  }
  return digits > 0
}

/** The longest duration stored (an int4 of milliseconds: 24.8 days). */
const MAX_DURATION_MS = 2_147_483_647
/** Numbers a serializer writes for what is not one (`NaN`, `Infinity`, `-inf`). */
const NUMBER_WORDS = /^[+-]?(nan|inf(inity)?)$/i

/** A duration as stored, or null, noted on the receipt, for one no test can have (negative, infinite, over 24 days). */
function durationMs(ms: number, value: unknown): number | null {
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION_MS ? ms : refusedDuration(value)
}

function refusedDuration(value: unknown): null {
  note('a duration', `a duration that is not a number of 0 to 24 days (${String(value).slice(0, 40)}) was treated as absent`)
  return null
}

export function numberOrNull(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN
  return Number.isFinite(n) ? n : null
}

/** A duration in milliseconds: a finite number ≥ 0, else null. */
export function msOrNull(value: unknown): number | null {
  if (typeof value === 'number') return durationMs(value, value)
  if (typeof value !== 'string' || !value.trim()) return null
  if (NUMBER_WORDS.test(value.trim())) return refusedDuration(value)
  const n = Number(value)
  return Number.isNaN(n) ? null : durationMs(n, value)
}

/** 1-based line number, else null. */
export function lineOrNull(value: unknown): number | null {
  const n = numberOrNull(value)
  return n != null && Number.isInteger(n) && n > 0 ? n : null
}

const LAST_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** The date a value means (see isoOrNull), or null when it is unreadable; not checked for plausibility. */
export function readDate(value: unknown): Date | null {
  if (value == null || value === '') return null
  let d: Date
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return null
    d = new Date(value < 1e11 ? value * 1000 : value)
  }
  else {
    const s = String(value).trim()
    if (/^\d+(\.\d+)?$/.test(s)) return readDate(Number(s))
    d = new Date(/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(s) ? `${s}Z` : s)
  }
  return Number.isNaN(d.getTime()) ? null : d
}

/**
 * ISO string for a date given as ISO, as epoch milliseconds (or epoch seconds, which some reporters write:
 * anything below 1e11 is read as seconds, i.e. before 1973 in milliseconds), or as a zone-less timestamp (UTC).
 * Null for anything unreadable, for zero dates (epoch 0, Go's 0001-01-01), and for dates after 9999 (noted, as `where`).
 */
export function isoOrNull(value: unknown, where = 'a date'): string | null {
  const d = readDate(value)
  if (!d) return null
  const t = d.getTime()
  if (t > LAST_DATE) {
    // Postgres cannot read a 6-digit year ("+020000-01-01"), and no test ran then: an impossible date is no date.
    note(where, `a date after the year 9999 (${String(value).slice(0, 40)}) was treated as absent`)
    return null
  }
  return t <= 0 ? null : d.toISOString() // ≤ 1970: a zero value (Go writes 0001-01-01), not a date
}

/** First non-blank line, trimmed. */
export function firstLine(text: string | null | undefined): string | null {
  if (!text) return null
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    const line = text.slice(start, end).trim()
    if (line) return line
    start = end + 1
  }
  return null
}

/** Error text as people read it: the terminal colour codes some reporters write (Playwright, Jest) taken out. */
const readable = (text: string | null | undefined) => text ? withoutAnsi(text) : text ?? null

export function attempt(status: TestStatus, fields: Partial<Omit<ParsedAttempt, 'status'>> = {}): ParsedAttempt {
  // field by field, as result() (no spread)
  return {
    status, durationMs: fields.durationMs ?? null, startedAt: fields.startedAt ?? null, stdout: fields.stdout ?? null,
    stderr: fields.stderr ?? null, errorMessage: readable(fields.errorMessage), errorStack: readable(fields.errorStack),
  }
}

/** A result with every optional part empty; parsers fill what their format has. */
export function result(fields: Pick<ParsedResult, 'title' | 'status' | 'attempts'> & Partial<ParsedResult>): ParsedResult {
  // written out field by field, never spread: a literal with spreads in it is made property by property at runtime
  // (the Playwright parse of 50,000 results took 2.2–3.1 s with them, 0.9–1.6 without; BENCHMARKS.md, fourteenth look)
  const r: ParsedResult = {
    file: fields.file ?? null, line: fields.line ?? null, suitePath: fields.suitePath ?? [], title: fields.title,
    variant: fields.variant ?? null, status: fields.status, flaky: fields.flaky ?? false, durationMs: fields.durationMs ?? null,
    attempts: fields.attempts, errorMessage: readable(fields.errorMessage), errorStack: readable(fields.errorStack),
    stdout: fields.stdout ?? null, stderr: fields.stderr ?? null, steps: fields.steps ?? [], annotations: fields.annotations ?? [],
    attachments: fields.attachments ?? [], tags: fields.tags ?? [], properties: fields.properties ?? {},
  }
  if (fields.titleHash !== undefined) r.titleHash = fields.titleHash
  if (fields.repeat !== undefined) r.repeat = fields.repeat
  return boundLists(r)
}

/** The error a result shows: that of its last attempt that failed with something to say. */
export function lastError(attempts: ParsedAttempt[]): { errorMessage: string | null, errorStack: string | null } {
  for (let i = attempts.length - 1; i >= 0; i--) {
    const a = attempts[i]!
    if ((a.status === 'failed' || a.status === 'errored') && (a.errorMessage || a.errorStack)) {
      return { errorMessage: a.errorMessage, errorStack: a.errorStack }
    }
  }
  return { errorMessage: null, errorStack: null }
}

/** For jsonErrorOffset: the index after the string starting at `start` (a quote), or -(error offset) - 1. */
function jsonStringEnd(s: string, start: number): number {
  const n = s.length
  for (let j = start + 1; j < n; j++) {
    const c = s.charCodeAt(j)
    if (c === 34) return j + 1
    if (c < 0x20) return -j - 1
    if (c === 92) {
      const e = s[j + 1]
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(s.slice(j + 2, j + 6))) return -(j + 1) - 1
        j += 5
      }
      else if (e !== undefined && '"\\/bfnrt'.includes(e)) j++
      else return -(j + 1) - 1
    }
  }
  return -n - 1
}

/**
 * Offset of the first JSON syntax error in `s`, or null when there is none. One linear pass with an explicit
 * stack (no recursion, so a deeply nested document cannot overflow). Used only to say where JSON.parse failed,
 * because V8 does not always give a position ("Unexpected token …").
 */
function jsonErrorOffset(s: string): number | null {
  const n = s.length
  const stack: number[] = [] // 123 '{' or 91 '['
  type State = 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'after'
  let state: State = 'value'
  let i = 0
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
  for (;;) {
    while (i < n) {
      const c = s.charCodeAt(i)
      if (c === 32 || c === 9 || c === 10 || c === 13) i++
      else break
    }
    if (i >= n) return state === 'after' && stack.length === 0 ? null : n
    const ch = s[i]!
    if (state === 'value' || state === 'valueOrEnd') {
      if (state === 'valueOrEnd' && ch === ']') { stack.pop(); i++; state = 'after'; continue }
      if (ch === '{') { stack.push(123); i++; state = 'keyOrEnd' }
      else if (ch === '[') { stack.push(91); i++; state = 'valueOrEnd' }
      else if (ch === '"') {
        const e = jsonStringEnd(s, i)
        if (e < 0) return -e - 1
        i = e
        state = 'after'
      }
      else if (s.startsWith('true', i)) { i += 4; state = 'after' }
      else if (s.startsWith('false', i)) { i += 5; state = 'after' }
      else if (s.startsWith('null', i)) { i += 4; state = 'after' }
      else {
        number.lastIndex = i
        if (!number.test(s)) return i
        i = number.lastIndex
        state = 'after'
      }
    }
    else if (state === 'keyOrEnd' || state === 'key') {
      if (state === 'keyOrEnd' && ch === '}') { stack.pop(); i++; state = 'after'; continue }
      if (ch !== '"') return i
      const e = jsonStringEnd(s, i)
      if (e < 0) return -e - 1
      i = e
      state = 'colon'
    }
    else if (state === 'colon') {
      if (ch !== ':') return i
      i++
      state = 'value'
    }
    else {
      const top = stack[stack.length - 1]
      if (top === undefined) return i // text after the document
      if (ch === ',') { i++; state = top === 123 ? 'key' : 'value' }
      else if ((ch === '}' && top === 123) || (ch === ']' && top === 91)) { stack.pop(); i++ }
      else return i
    }
  }
}

/** JSON.parse with an error that says where the document breaks, for a person. `what`: "Playwright report"… */
export function parseJson(text: string, what: string): unknown {
  const body = stripBom(text)
  assertNotEmpty(body)
  assertJsonDepth(body, what)
  try {
    return JSON.parse(body)
  }
  catch (err) {
    throw jsonSyntaxError(body, what, err as Error)
  }
}

export function jsonSyntaxError(text: string, what: string, err: Error): ReportParseError {
  const v8Pos = Number(err.message.match(/at position (\d+)/)?.[1])
  const found = jsonErrorOffset(text)
  const offset = found ?? (Number.isFinite(v8Pos) ? v8Pos : null)
  if (offset == null) {
    return new ReportParseError(`This ${what} is not valid JSON: ${err.message.replace(/\.$/, '')}.`, { code: 'malformed_json' })
  }
  if (offset >= text.length || text.slice(offset).trim() === '') {
    const last = text.trimEnd().length
    const p = lineCol(text, Math.max(0, last - 1))
    return new ReportParseError(`This ${what} is not valid JSON: it ends in the middle of the document at ${at(p)} (is the file truncated?).`, { code: 'malformed_json', ...p })
  }
  const p = lineCol(text, offset)
  if (/after JSON/i.test(err.message)) {
    return new ReportParseError(`This ${what} is not valid JSON: there is text after the end of the JSON document, at ${at(p)}.`, { code: 'malformed_json', ...p })
  }
  const ch = text.codePointAt(offset)!
  const shown = ch < 0x20 ? `control character U+${ch.toString(16).toUpperCase().padStart(4, '0')}` : `character ${JSON.stringify(String.fromCodePoint(ch))}`
  return new ReportParseError(`This ${what} is not valid JSON: unexpected ${shown} at ${at(p)}.`, { code: 'malformed_json', ...p })
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
export const asArray = (v: unknown): unknown[] => Array.isArray(v) ? v : []
export const objects = (v: unknown): Record<string, unknown>[] => asArray(v).filter(isObject)
export const str = (v: unknown): string | null => typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null
/** A non-blank string, trimmed. */
export const nonBlank = (v: unknown): string | null => {
  const s = str(v)?.trim()
  return s ? s : null
}
