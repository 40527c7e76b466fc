import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { TestStatus } from '../../shared/constants'
import { CAPS, attempt, capText, firstLine, isoOrNull, numberOrNull, result, secondsToMs } from './common'
import { ReportParseError, type ParsedAttempt, type ParsedReport, type ParsedResult, type ParsedRunError } from './types'

type Node = Record<string, unknown>
type Attrs = Record<string, string>

const REPEATED = new Set([
  'testsuites', 'testsuite', 'testcase', 'failure', 'error', 'skipped', 'flakyFailure', 'flakyError', 'rerunFailure', 'rerunError',
  'properties', 'property', 'system-out', 'system-err', 'stackTrace',
])

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  attributesGroupName: '$',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Only the five predefined entities and character references: documents that declare entities are refused
  // before parsing (see rejectEntityDeclarations), so nothing is ever expanded or fetched.
  processEntities: true,
  htmlEntities: false,
  textNodeName: '#text',
  isArray: (name, _path, _leaf, isAttribute) => !isAttribute && REPEATED.has(name),
})

const attrs = (n: unknown): Attrs => ((n as Node | undefined)?.$ as Attrs | undefined) ?? {}
const children = (n: unknown, name: string): unknown[] => (typeof n === 'object' && n !== null ? ((n as Node)[name] as unknown[] | undefined) : undefined) ?? []
const text = (n: unknown): string => typeof n === 'string' ? n : typeof n === 'object' && n !== null ? String((n as Node)['#text'] ?? '') : ''
const joinText = (nodes: unknown[]): string | null => nodes.map(text).map(t => t.trim()).filter(Boolean).join('\n') || null

function lineCol(xml: string, index: number) {
  const before = xml.slice(0, index)
  return { line: before.split('\n').length, column: index - before.lastIndexOf('\n') }
}

/** XXE and billion-laughs defence: a report never needs to declare entities, so any declaration is refused. */
function rejectEntityDeclarations(xml: string) {
  const i = xml.search(/<!ENTITY/i)
  if (i >= 0) {
    throw new ReportParseError('This XML declares entities in a DOCTYPE (<!ENTITY …>). Test reports never need them and they can be used to read files or exhaust memory, so the file is refused.', { code: 'xml_entities_refused', ...lineCol(xml, i) })
  }
}

/**
 * The validator accepts a raw "<" inside an attribute value, which XML forbids (and which strict parsers reject,
 * e.g. time="<<computed>>"). One linear pass over the tags, skipping text, comments and CDATA, finds it.
 */
function rejectLessThanInAttributes(xml: string) {
  let i = 0
  while (i < xml.length) {
    const lt = xml.indexOf('<', i)
    if (lt < 0) return
    const skipTo = xml.startsWith('<!--', lt) ? '-->' : xml.startsWith('<![CDATA[', lt) ? ']]>' : xml[lt + 1] === '?' || xml[lt + 1] === '!' ? '>' : null
    if (skipTo) {
      const end = xml.indexOf(skipTo, lt + 2)
      if (end < 0) return
      i = end + skipTo.length
      continue
    }
    let quote = ''
    let j = lt + 1
    for (; j < xml.length; j++) {
      const c = xml[j]
      if (quote) {
        if (c === quote) quote = ''
        else if (c === '<') throw new ReportParseError('The XML is not well-formed: an attribute value contains a raw "<".', { code: 'malformed_xml', ...lineCol(xml, j) })
      }
      else if (c === '"' || c === '\'') quote = c
      else if (c === '>') break
    }
    i = j + 1
  }
}

function validate(xml: string) {
  if (!xml.trim()) throw new ReportParseError('The file is empty: there is no XML in it.', { code: 'empty_report', line: 1, column: 0 })
  rejectEntityDeclarations(xml)
  const v = XMLValidator.validate(xml, { allowBooleanAttributes: true })
  if (v !== true) {
    const truncated = /closed|expected|Start tag/i.test(v.err.msg) && /Unclosed|not closed/i.test(v.err.msg)
    throw new ReportParseError(`The XML is not well-formed: ${v.err.msg.replace(/\.$/, '')}${truncated ? ' (is the file truncated?)' : ''}.`, { code: 'malformed_xml', line: v.err.line ?? null, column: v.err.col ?? null })
  }
  rejectLessThanInAttributes(xml)
}

interface Problem { status: TestStatus, message: string | null, stack: string | null, stdout: string | null, stderr: string | null }

function problem(node: unknown, status: TestStatus): Problem {
  const a = attrs(node)
  const body = joinText(children(node, 'stackTrace')) ?? (text(node).trim() || null)
  const message = a.message?.trim() || firstLine(body) || a.type || null
  return {
    status, message: capText(message, CAPS.message), stack: capText(body, CAPS.stack),
    stdout: capText(joinText(children(node, 'system-out')), CAPS.output), stderr: capText(joinText(children(node, 'system-err')), CAPS.output),
  }
}

const toAttempt = (p: Problem): ParsedAttempt => attempt(p.status, { errorMessage: p.message, errorStack: p.stack, stdout: p.stdout, stderr: p.stderr })

const SKIPPED_STATUSES = new Set(['disabled', 'skipped', 'notrun', 'not_run', 'ignored'])

function parseTestcase(tc: unknown, suites: string[], suiteFile: string | null): ParsedResult {
  const a = attrs(tc)
  const durationMs = secondsToMs(a.time)
  const errors = children(tc, 'error').map(n => problem(n, 'errored'))
  const failures = children(tc, 'failure').map(n => problem(n, 'failed'))
  const reruns = [...children(tc, 'rerunFailure').map(n => problem(n, 'failed')), ...children(tc, 'rerunError').map(n => problem(n, 'errored'))]
  const flakes = [...children(tc, 'flakyFailure').map(n => problem(n, 'failed')), ...children(tc, 'flakyError').map(n => problem(n, 'errored'))]
  const skipped = children(tc, 'skipped')

  let status: TestStatus
  let attempts: ParsedAttempt[]
  let finalProblem: Problem | undefined
  const annotations: { type: string, description: string | null }[] = []
  if (errors.length || failures.length || reruns.length) {
    // error > failure; a rerunFailure alone (a schema violation) still means the test failed
    finalProblem = errors[0] ?? failures[0] ?? reruns[reruns.length - 1]!
    status = errors.length ? 'errored' : 'failed'
    const first = errors[0] ?? failures[0]
    attempts = [...(first ? [first] : []), ...reruns].map(toAttempt)
    attempts[attempts.length - 1]!.status = status
  }
  else if (skipped.length || SKIPPED_STATUSES.has((a.status ?? a.result ?? '').toLowerCase())) {
    status = 'skipped'
    const s = skipped[0]
    const type = attrs(s).type?.includes('xfail') ? 'xfail' : 'skip'
    annotations.push({ type, description: attrs(s).message?.trim() || text(s).trim() || null })
    attempts = [attempt('skipped', { durationMs })]
  }
  else {
    status = 'passed'
    attempts = [...flakes.map(toAttempt), attempt('passed')]
    finalProblem = flakes[flakes.length - 1]
  }
  if (attempts.length === 1) attempts[0]!.durationMs = durationMs

  const classname = a.classname?.trim()
  const innermost = suites[suites.length - 1]
  const suitePath = classname && classname !== innermost ? [...suites, classname] : suites
  const properties: Record<string, string> = {}
  for (const p of children(tc, 'properties').flatMap(ps => children(ps, 'property'))) {
    const pa = attrs(p)
    if (pa.name) properties[pa.name] = pa.value ?? text(p).trim()
  }
  return result({
    title: (a.name ?? '').trim(),
    status,
    flaky: status === 'passed' && flakes.length > 0,
    attempts,
    durationMs,
    file: a.file?.trim() || suiteFile,
    line: numberOrNull(a.line),
    suitePath,
    errorMessage: finalProblem?.message ?? null,
    errorStack: finalProblem?.stack ?? null,
    stdout: capText(joinText(children(tc, 'system-out')), CAPS.output),
    stderr: capText(joinText(children(tc, 'system-err')), CAPS.output),
    annotations,
    properties,
  })
}

/** Parses JUnit XML (any producer: Surefire, Gradle, pytest, jest-junit, go-junit-report, .NET, PHPUnit, …). */
export function parseJunit(xml: string): ParsedReport {
  validate(xml)
  const doc = parser.parse(xml) as Node
  const rootName = Object.keys(doc).find(k => k !== '?xml' && !k.startsWith('#') && !k.startsWith('!'))
  if (rootName !== 'testsuites' && rootName !== 'testsuite') {
    throw new ReportParseError(`This XML is not a JUnit report: the root element is <${rootName ?? '?'}>, expected <testsuites> or <testsuite>.`, { code: 'not_junit' })
  }
  const results: ParsedResult[] = []
  const errors: ParsedRunError[] = []
  const stdout: string[] = []
  const stderr: string[] = []
  let startedAt: string | null = null

  const walk = (suite: unknown, path: string[], file: string | null) => {
    const a = attrs(suite)
    startedAt ??= isoOrNull(a.timestamp)
    const here = a.name?.trim() ? [...path, a.name.trim()] : path
    const suiteFile = a.file?.trim() || a.filepath?.trim() || file
    for (const tc of children(suite, 'testcase')) results.push(parseTestcase(tc, here, suiteFile))
    for (const p of [...children(suite, 'error').map(n => problem(n, 'errored')), ...children(suite, 'failure').map(n => problem(n, 'failed'))]) {
      errors.push({ message: `${here.join(' › ') || 'suite'}: ${p.message ?? 'failed outside any test'}`, stack: p.stack })
    }
    const out = joinText(children(suite, 'system-out'))
    const err = joinText(children(suite, 'system-err'))
    if (out) stdout.push(out)
    if (err) stderr.push(err)
    for (const child of children(suite, 'testsuite')) walk(child, here, suiteFile)
  }

  const roots = children(doc, rootName)
  let durationMs: number | null = null
  for (const root of roots) {
    if (rootName === 'testsuites') {
      durationMs = secondsToMs(attrs(root).time)
      for (const s of children(root, 'testsuite')) walk(s, [], null)
      for (const tc of children(root, 'testcase')) results.push(parseTestcase(tc, [], null))
      for (const nested of children(root, 'testsuites')) for (const s of children(nested, 'testsuite')) walk(s, [], null)
    }
    else {
      durationMs = secondsToMs(attrs(root).time)
      walk(root, [], null)
    }
  }
  return {
    format: 'junit', tool: null, startedAt, durationMs, results, errors,
    stdout: capText(stdout.join('\n'), CAPS.output), stderr: capText(stderr.join('\n'), CAPS.output),
    metadata: {}, warnings: [],
  }
}
