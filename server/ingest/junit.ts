import { XMLParser } from 'fast-xml-parser'
import type { TestStatus } from '#shared/constants'
import { CAPS, attempt, capText, firstLine, isoOrNull, keyOf, lastError, lineOrNull, result, secondsToMs, stripBom } from './common'
import { FIELD_CAPS, assertSuiteDepth } from './limits'
import { assertWellFormed } from './junit-wellformed'
import {
  ReportParseError, type ParsedAnnotation, type ParsedAttachment, type ParsedAttempt, type ParsedReport, type ParsedResult,
  type ParsedRunError,
} from './types'

/*
 * JUnit XML, from any producer (Surefire, Gradle, pytest, jest-junit, vitest, gotestsum, .NET loggers, PHPUnit, RSpec,
 * Playwright, Bazel…). Counting follows ../shared/corpus/README.md: one result per <testcase> element at any depth,
 * attribute totals ignored.
 *
 * Security: DTD entities are never expanded. A document that declares any (<!ENTITY …>, the XXE and "billion laughs"
 * vectors) is refused before the parser sees it, and the parser itself runs with entity processing off; the five
 * predefined entities and numeric character references are decoded here, in text and attributes, and nowhere else.
 */

/** A node of fast-xml-parser's ordered output: `{ tag: children[], ':@': attrs }`, `{ '#text': s }`, `{ '#cdata': [{ '#text': s }] }`. */
type XNode = Record<string, unknown>
type Attrs = Record<string, string>

const parser = new XMLParser({
  preserveOrder: true, // document order matters: flakyFailure/flakyError/rerun* interleave and are attempts in order
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 512,
  jPath: false,
})

// ---------------------------------------------------------------------------------------------------------------
// Text: entities, nodes

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' }
const ENTITY = /&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|(amp|lt|gt|quot|apos));/g

const xmlChar = (cp: number) => cp === 0x9 || cp === 0xA || cp === 0xD
  || (cp >= 0x20 && cp <= 0xD7FF)
  || (cp >= 0xE000 && cp <= 0xFFFD)
  || (cp >= 0x10000 && cp <= 0x10FFFF)

/** Decodes the five predefined entities and numeric character references; anything else is left as written. */
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s
  return s.replace(ENTITY, (m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (name) return NAMED[name]!
    const cp = hex ? Number.parseInt(hex, 16) : Number(dec)
    return xmlChar(cp) ? String.fromCodePoint(cp) : m
  })
}

function tagOf(n: XNode): string | null {
  for (const k in n) if (k !== ':@') return k
  return null
}
const kids = (n: XNode, tag: string): XNode[] => (n[tag] as XNode[] | undefined) ?? []

function attrsOf(n: XNode): Attrs {
  const raw = n[':@'] as Attrs | undefined
  if (!raw) return {}
  const out: Attrs = {}
  for (const k in raw) out[k] = decodeEntities(String(raw[k]))
  return out
}

/** Direct text of an element: text nodes (entity-decoded) and CDATA sections (verbatim), in order. */
function ownText(n: XNode, tag: string): string {
  let s = ''
  for (const c of kids(n, tag)) {
    if (typeof c['#text'] === 'string') s += decodeEntities(c['#text'])
    else if (Array.isArray(c['#cdata'])) for (const t of c['#cdata'] as XNode[]) s += String(t['#text'] ?? '')
  }
  return s
}

/** Text of the `name` children of an element, joined; null when there is none. */
function childText(n: XNode, tag: string, name: string): string | null {
  let out: string | null = null
  for (const c of kids(n, tag)) {
    if (tagOf(c) !== name) continue
    const t = trimLines(ownText(c, name))
    if (t) out = out == null ? t : `${out}\n${t}`
  }
  return out
}

/** Trims blank lines and trailing space at both ends, keeping the indentation of the first real line (stack frames). */
function trimLines(s: string): string {
  return s.replace(/^\s*\n/, '').trimEnd()
}

// ---------------------------------------------------------------------------------------------------------------
// Test cases

interface Problem {
  status: TestStatus
  message: string | null
  stack: string | null
  stdout: string | null
  stderr: string | null
  durationMs: number | null
}

/** A <failure>/<error>/<flaky…>/<rerun…>: message attribute, else the body's first line; stack = the body (or its <stackTrace>). */
function problem(n: XNode, tag: string, status: TestStatus): Problem {
  const a = attrsOf(n)
  const body = childText(n, tag, 'stackTrace') ?? (trimLines(ownText(n, tag)) || null)
  const message = a.message?.trim() || firstLine(body) || a.type?.trim() || null
  return {
    status,
    message: capText(message, CAPS.message),
    stack: capText(body, CAPS.stack),
    stdout: capText(childText(n, tag, 'system-out'), CAPS.output),
    stderr: capText(childText(n, tag, 'system-err'), CAPS.output),
    durationMs: secondsToMs(a.time),
  }
}

const toAttempt = (p: Problem): ParsedAttempt => attempt(p.status, {
  durationMs: p.durationMs, errorMessage: p.message, errorStack: p.stack, stdout: p.stdout, stderr: p.stderr,
})

const SKIP_ATTRIBUTE_VALUES = new Set(['disabled', 'skipped', 'skip', 'notrun', 'not_run', 'ignored'])

/** Testmo/Jenkins conventions inside a test's output: `[[ATTACHMENT|path]]` and `[[PROPERTY|name=value]]` lines. */
function conventions(output: string | null, attachments: ParsedAttachment[], properties: Record<string, string>) {
  if (!output || !output.includes('[[')) return
  for (const m of output.matchAll(/\[\[ATTACHMENT\|([^\]\n]+)\]\]/g)) {
    const path = capText(m[1]!.trim(), FIELD_CAPS.file) ?? ''
    attachments.push({ name: path.split(/[\\/]/).pop() || path, contentType: null, path })
  }
  for (const m of output.matchAll(/\[\[PROPERTY\|([^=\]\n]+)=([^\]\n]*)\]\]/g)) {
    const name = keyOf(m[1]!)
    if (name) properties[name] = capText(m[2]!, CAPS.short) ?? ''
  }
}

interface Context {
  suites: string[]
  file: string | null
  properties: Record<string, string>
}

interface Sink {
  results: ParsedResult[]
  errors: ParsedRunError[]
  stdout: string[]
  stderr: string[]
  unnamed: number
}

function readProperties(n: XNode, tag: string, into: Record<string, string>): void {
  for (const ps of kids(n, tag)) {
    if (tagOf(ps) !== 'properties') continue
    for (const p of kids(ps, 'properties')) {
      if (tagOf(p) !== 'property') continue
      const a = attrsOf(p)
      const name = keyOf(a.name ?? '')
      if (name) into[name] = capText(a.value ?? trimLines(ownText(p, 'property')).trim(), CAPS.short) ?? ''
    }
  }
}

/** The children of a <testcase> that decide its outcome, by kind, each in document order. */
interface CaseChildren {
  errors: Problem[]
  failures: Problem[]
  /** rerunFailure/rerunError */
  reruns: Problem[]
  /** flakyFailure/flakyError */
  flakes: Problem[]
  skipped: XNode[]
  /** <testcase>/<testsuite> nested inside it (seen in the wild), to be walked after it. */
  nested: XNode[]
}

function caseChildren(n: XNode): CaseChildren {
  const ch: CaseChildren = { errors: [], failures: [], reruns: [], flakes: [], skipped: [], nested: [] }
  for (const c of kids(n, 'testcase')) {
    const tag = tagOf(c)
    if (tag === 'error') ch.errors.push(problem(c, tag, 'errored'))
    else if (tag === 'failure') ch.failures.push(problem(c, tag, 'failed'))
    else if (tag === 'rerunFailure') ch.reruns.push(problem(c, tag, 'failed'))
    else if (tag === 'rerunError') ch.reruns.push(problem(c, tag, 'errored'))
    else if (tag === 'flakyFailure') ch.flakes.push(problem(c, tag, 'failed'))
    else if (tag === 'flakyError') ch.flakes.push(problem(c, tag, 'errored'))
    else if (tag === 'skipped') ch.skipped.push(c)
    else if (tag === 'testcase' || tag === 'testsuite') ch.nested.push(c)
  }
  return ch
}

const isSkipValue = (v: string | undefined) => SKIP_ATTRIBUTE_VALUES.has((v ?? '').trim().toLowerCase())

/**
 * A testcase's attempts; the last one carries the result's status. `durationMs`, `stdout` and `stderr` are the
 * testcase's own, which belong to its own run. A skip also adds its annotation.
 */
function caseAttempts(
  ch: CaseChildren, a: Attrs, durationMs: number | null, stdout: string | null, stderr: string | null, annotations: ParsedAnnotation[],
): ParsedAttempt[] {
  const own = (status: TestStatus, p?: Problem): ParsedAttempt => attempt(status, {
    durationMs, stdout, stderr, errorMessage: p?.message ?? null, errorStack: p?.stack ?? null,
  })
  let status: TestStatus
  let attempts: ParsedAttempt[]
  const primary = ch.errors[0] ?? ch.failures[0]
  if (primary || ch.reruns.length) {
    // error > failure > rerun-only. Surefire writes the first run as <failure>/<error> and every rerun after it.
    status = ch.errors.length ? 'errored' : 'failed'
    attempts = [...(primary ? [own(primary.status, primary)] : []), ...ch.reruns.map(toAttempt)]
    if (!primary) attempts[0] = { ...attempts[0]!, durationMs: attempts[0]!.durationMs ?? durationMs, stdout, stderr }
  }
  else if (ch.skipped.length || isSkipValue(a.status) || isSkipValue(a.result)) {
    status = 'skipped'
    const s = ch.skipped[0]
    if (s) {
      const sa = attrsOf(s)
      annotations.push({ type: /xfail/i.test(sa.type ?? '') ? 'xfail' : 'skip', description: capText(sa.message?.trim() || trimLines(ownText(s, 'skipped')).trim(), CAPS.short) })
    }
    else annotations.push({ type: capText((a.status ?? a.result ?? 'skipped').trim().toLowerCase(), FIELD_CAPS.type) ?? 'skipped', description: null })
    attempts = [own('skipped')]
  }
  else {
    // Passed; Surefire/Gradle flakyFailure/flakyError are the failed tries before this final pass.
    status = 'passed'
    attempts = [...ch.flakes.map(toAttempt), own('passed')]
  }
  // The final attempt carries the result's status (a rerunError after a <failure> still leaves the test "failed").
  const last = attempts[attempts.length - 1]!
  if (last.status !== status) attempts[attempts.length - 1] = { ...last, status }
  return attempts
}

/** One <testcase>, from its attributes, own output and classified children. */
function parseTestcase(n: XNode, ch: CaseChildren, ctx: Context, sink: Sink): ParsedResult {
  const a = attrsOf(n)
  const durationMs = secondsToMs(a.time)
  const stdout = capText(childText(n, 'testcase', 'system-out'), CAPS.output)
  const stderr = capText(childText(n, 'testcase', 'system-err'), CAPS.output)
  const annotations: ParsedAnnotation[] = []
  const attempts = caseAttempts(ch, a, durationMs, stdout, stderr, annotations)
  const status = attempts[attempts.length - 1]!.status

  const title = capText(a.name?.trim(), FIELD_CAPS.title) ?? ''
  if (!title) sink.unnamed++
  const file = fileOf(a) ?? ctx.file
  const suites = file ? ctx.suites.filter(s => s !== file) : ctx.suites
  const classname = capText(a.classname?.trim(), FIELD_CAPS.suite)
  const classnameAddsSuite = classname
    && classname !== suites[suites.length - 1]
    && classname !== title
    && classname !== file
  const suitePath = classnameAddsSuite ? [...suites, classname] : suites
  assertSuiteDepth(suitePath.length, 'JUnit report', suitePath)

  // Suite properties are inherited; the object is shared between the cases of a suite unless a case adds its own.
  let properties = ctx.properties
  const caseProperties: Record<string, string> = {}
  readProperties(n, 'testcase', caseProperties)
  const attachments: ParsedAttachment[] = []
  conventions(stdout, attachments, caseProperties)
  conventions(stderr, attachments, caseProperties)
  if (Object.keys(caseProperties).length) properties = { ...ctx.properties, ...caseProperties }

  return result({
    title: title || '(unnamed testcase)',
    status,
    flaky: status === 'passed' && ch.flakes.length > 0,
    attempts,
    durationMs,
    file,
    line: lineOrNull(a.line),
    suitePath,
    ...lastError(attempts),
    stdout,
    stderr,
    annotations,
    attachments,
    properties,
  })
}

// ---------------------------------------------------------------------------------------------------------------
// The tree walk

/** Visits one element. `inSuite`: the parent is a <testsuite>/<testsuites>, so stray <error>/<failure> are run errors. */
function walkNode(n: XNode, ctx: Context, sink: Sink, inSuite: boolean): void {
  const tag = tagOf(n)
  if (!tag || tag === '#text' || tag === '#cdata') return
  if (tag === 'testcase') {
    const children = caseChildren(n)
    const parsed = parseTestcase(n, children, ctx, sink)
    sink.results.push(parsed)
    const inner = { ...ctx, suites: [...ctx.suites, parsed.title] }
    for (const c of children.nested) walkNode(c, inner, sink, false)
    return
  }
  if (tag === 'testsuite' || tag === 'testsuites') {
    walkSuite(n, tag, ctx, sink)
    return
  }
  if (inSuite && (tag === 'error' || tag === 'failure')) {
    const p = problem(n, tag, tag === 'error' ? 'errored' : 'failed')
    const where = ctx.suites.length ? `${ctx.suites.join(' › ')}: ` : ''
    sink.errors.push({ message: capText(`${where}${p.message ?? `<${tag}> outside any testcase`}`, CAPS.message)!, stack: p.stack })
    return
  }
  if (inSuite && (tag === 'system-out' || tag === 'system-err')) {
    const t = trimLines(ownText(n, tag))
    if (t) (tag === 'system-out' ? sink.stdout : sink.stderr).push(t)
    return
  }
  if (tag === 'properties' || tag === 'skipped' || tag === 'system-out' || tag === 'system-err') return
  // Any other wrapper: testcases may sit at any depth.
  for (const c of kids(n, tag)) walkNode(c, ctx, sink, false)
}

const fileOf = (a: Attrs): string | null => capText(a.file?.trim() || a.filepath?.trim(), FIELD_CAPS.file)

function walkSuite(n: XNode, tag: string, ctx: Context, sink: Sink): void {
  const a = attrsOf(n)
  const name = tag === 'testsuite' ? capText(a.name?.trim(), FIELD_CAPS.suite) : null
  let properties = ctx.properties
  const own: Record<string, string> = {}
  readProperties(n, tag, own)
  if (Object.keys(own).length) properties = { ...ctx.properties, ...own }
  const here: Context = {
    suites: name ? [...ctx.suites, name] : ctx.suites,
    file: fileOf(a) ?? ctx.file,
    properties,
  }
  assertSuiteDepth(here.suites.length, 'JUnit report', here.suites)
  for (const c of kids(n, tag)) walkNode(c, here, sink, true)
}

// ---------------------------------------------------------------------------------------------------------------

/** Parses JUnit XML. Throws ReportParseError (with line/column where known) for anything that is not a well-formed JUnit report. */
export function parseJunit(text: string): ParsedReport {
  const xml = stripBom(text)
  assertWellFormed(xml)
  let doc: XNode[]
  try {
    doc = parser.parse(xml) as XNode[]
  }
  catch (err) {
    throw new ReportParseError(`The XML could not be read: ${(err as Error).message.replace(/\.$/, '')}.`, { code: 'malformed_xml' })
  }
  const roots = doc.filter((n) => {
    const t = tagOf(n)
    return t != null && t !== '#text' && t !== '#cdata' && !t.startsWith('?') && !t.startsWith('!')
  })
  const rootName = roots[0] ? tagOf(roots[0])! : null
  if (!rootName) throw new ReportParseError('The XML has no root element.', { code: 'malformed_xml' })
  if (roots.length > 1) {
    throw new ReportParseError(`The XML is not well-formed: it has ${roots.length} root elements (<${rootName}> is followed by <${tagOf(roots[1]!)}>), and a JUnit report has exactly one.`, { code: 'malformed_xml' })
  }
  if (rootName !== 'testsuites' && rootName !== 'testsuite') {
    throw new ReportParseError(`This XML is not a JUnit report: the root element is <${rootName}>, expected <testsuites> or <testsuite>.`, { code: 'not_junit' })
  }
  const root = roots[0]!
  const sink: Sink = { results: [], errors: [], stdout: [], stderr: [], unnamed: 0 }
  walkSuite(root, rootName, { suites: [], file: null, properties: {} }, sink)

  // Run timing: the root's own attributes, else the first suite's start and the sum of the top-level suites.
  const ra = attrsOf(root)
  let startedAt = isoOrNull(ra.timestamp, `<${rootName}> timestamp`)
  let durationMs = secondsToMs(ra.time)
  if (rootName === 'testsuites' && (startedAt == null || durationMs == null)) {
    let sum: number | null = null
    for (const s of kids(root, rootName)) {
      if (tagOf(s) !== 'testsuite') continue
      const sa = attrsOf(s)
      startedAt ??= isoOrNull(sa.timestamp, '<testsuite> timestamp')
      const t = secondsToMs(sa.time)
      if (t != null) sum = (sum ?? 0) + t
    }
    durationMs ??= sum == null ? null : Math.round(sum * 1000) / 1000
  }

  const warnings: string[] = []
  if (sink.unnamed) warnings.push(`${sink.unnamed} testcase${sink.unnamed === 1 ? ' has' : 's have'} no name; shown as "(unnamed testcase)".`)
  if (sink.errors.length) warnings.push(`${sink.errors.length} <error>/<failure> element${sink.errors.length === 1 ? ' sits' : 's sit'} outside any testcase; reported as run errors, not tests.`)
  return {
    format: 'junit',
    tool: null,
    startedAt,
    durationMs,
    results: sink.results,
    errors: sink.errors,
    stdout: capText(sink.stdout.join('\n'), CAPS.output),
    stderr: capText(sink.stderr.join('\n'), CAPS.output),
    metadata: {},
    warnings,
  }
}
