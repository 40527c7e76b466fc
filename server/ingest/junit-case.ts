import type { TestStatus } from '#shared/constants'
import { CAPS, attempt, capText, firstLine, keyOf, lastError, lineOrNull, result, secondsToMs } from './common'
import { FIELD_CAPS, assertSuiteDepth } from './limits'
import type { Attrs } from './xml-scan'
import type { ParsedAnnotation, ParsedAttachment, ParsedAttempt, ParsedResult } from './types'

/*
 * What one JUnit <testcase> means, from what the reader (junit-reader.ts) collected of it: its attributes, the
 * outcome elements it holds, its output and properties, and the suites around it.
 */

/** Trims blank lines and trailing space at both ends, keeping the indentation of the first real line (stack frames). */
export function trimLines(s: string): string {
  return s.replace(/^\s*\n/, '').trimEnd()
}

/** Appends the text of one more `name` child (trimmed; blank ones skipped), joined by a newline as childText did. */
export function joinText(out: string | null, raw: string): string | null {
  const t = trimLines(raw)
  if (!t) return out
  return out == null ? t : `${out}\n${t}`
}

/** What the reader keeps of a <failure>/<error>/<flaky…>/<rerun…>: attributes, own text and the text of its children. */
export interface ProblemElement {
  attrs: Attrs
  text: string
  stackTrace: string | null
  stdout: string | null
  stderr: string | null
}

export interface Problem {
  status: TestStatus
  message: string | null
  stack: string | null
  stdout: string | null
  stderr: string | null
  durationMs: number | null
}

/** A <failure>/<error>/<flaky…>/<rerun…>: message attribute, else the body's first line; stack = the body (or its <stackTrace>). */
export function problem(e: ProblemElement, status: TestStatus): Problem {
  const a = e.attrs
  const body = e.stackTrace ?? (trimLines(e.text) || null)
  const message = a.message?.trim() || firstLine(body) || a.type?.trim() || null
  return {
    status,
    message: capText(message, CAPS.message),
    stack: capText(body, CAPS.stack),
    stdout: capText(e.stdout, CAPS.output),
    stderr: capText(e.stderr, CAPS.output),
    durationMs: secondsToMs(a.time),
  }
}

const toAttempt = (p: Problem): ParsedAttempt => attempt(p.status, {
  durationMs: p.durationMs, errorMessage: p.message, errorStack: p.stack, stdout: p.stdout, stderr: p.stderr,
})

/** The children of a <testcase> that decide its outcome, by kind, each in document order. */
export interface CaseChildren {
  errors: Problem[]
  failures: Problem[]
  /** rerunFailure/rerunError */
  reruns: Problem[]
  /** flakyFailure/flakyError */
  flakes: Problem[]
  skipped: { attrs: Attrs, text: string }[]
}

/** Everything the reader collected of one <testcase>, handed over when it closes. */
export interface CaseElement {
  attrs: Attrs
  /** The capped, trimmed name; '' when it has none. */
  title: string
  children: CaseChildren
  /** Own <system-out>/<system-err> text, joined, not yet capped. */
  stdout: string | null
  stderr: string | null
  /** Own <properties>, in document order. */
  properties: Record<string, string>
}

/** The suites around a testcase, the file they give and the properties they pass down. */
export interface SuiteContext {
  suites: string[]
  file: string | null
  properties: Record<string, string>
}

const SKIP_ATTRIBUTE_VALUES = new Set(['disabled', 'skipped', 'skip', 'notrun', 'not_run', 'ignored'])
const isSkipValue = (v: string | undefined) => SKIP_ATTRIBUTE_VALUES.has((v ?? '').trim().toLowerCase())

export const fileOf = (a: Attrs): string | null => capText(a.file?.trim() || a.filepath?.trim(), FIELD_CAPS.file)
export const titleOf = (a: Attrs): string => capText(a.name?.trim(), FIELD_CAPS.title) ?? ''

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

/** One <property>: its value attribute, else its text; nameless ones are dropped. */
export function readProperty(a: Attrs, text: string, into: Record<string, string>): void {
  const name = keyOf(a.name ?? '')
  if (name) into[name] = capText(a.value ?? trimLines(text).trim(), CAPS.short) ?? ''
}

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
      const description = capText(s.attrs.message?.trim() || trimLines(s.text).trim(), CAPS.short)
      annotations.push({ type: /xfail/i.test(s.attrs.type ?? '') ? 'xfail' : 'skip', description })
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

/**
 * One <testcase> as a result. `paths` shares equal suite paths between the cases of a report (most cases of a
 * suite have the same one), so a large report holds each path once.
 */
export function testcaseResult(c: CaseElement, ctx: SuiteContext, paths: Map<string, string[]>): ParsedResult {
  const a = c.attrs
  const durationMs = secondsToMs(a.time)
  const stdout = capText(c.stdout, CAPS.output)
  const stderr = capText(c.stderr, CAPS.output)
  const annotations: ParsedAnnotation[] = []
  const attempts = caseAttempts(c.children, a, durationMs, stdout, stderr, annotations)
  const status = attempts[attempts.length - 1]!.status

  const title = c.title
  const file = fileOf(a) ?? ctx.file
  const suites = file ? ctx.suites.filter(s => s !== file) : ctx.suites
  const classname = capText(a.classname?.trim(), FIELD_CAPS.suite)
  const classnameAddsSuite = classname
    && classname !== suites[suites.length - 1]
    && classname !== title
    && classname !== file
  const path = classnameAddsSuite ? [...suites, classname] : suites
  assertSuiteDepth(path.length, 'JUnit report', path)
  const key = path.join('\0') // capped names hold no NUL, so equal keys are equal paths
  let suitePath = paths.get(key)
  if (!suitePath) paths.set(key, suitePath = path)

  // Suite properties are inherited; the object is shared between the cases of a suite unless a case adds its own.
  let properties = ctx.properties
  const caseProperties = c.properties
  const attachments: ParsedAttachment[] = []
  conventions(stdout, attachments, caseProperties)
  conventions(stderr, attachments, caseProperties)
  if (Object.keys(caseProperties).length) properties = { ...ctx.properties, ...caseProperties }

  return result({
    title: title || '(unnamed testcase)',
    status,
    flaky: status === 'passed' && c.children.flakes.length > 0,
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
