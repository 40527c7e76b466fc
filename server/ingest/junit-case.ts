import type { TestStatus } from '#shared/constants'
import { CAPS, attempt, capText, firstLine, keyOf, lastError, lineOrNull, result, secondsToMs, testTitle } from './common'
import { FIELD_CAPS, assertSuiteDepth } from './limits'
import type { Attrs } from './xml-scan'
import { FAILING } from './merge'
import type { ParsedAnnotation, ParsedAttachment, ParsedAttempt, ParsedResult } from './types'
import { rustCauseFromOutput } from './libtest'

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
  /** It says nothing of its own: no message, no body (its message is its type at most: libtest's "assert"). */
  bare?: true
}

/**
 * A message that only says the test failed, which go-junit-report and gotestsum write ("Failed"), gives way to the
 * body's first line that says what failed; so do go-junit-report's "Build error" for every package that did not build
 * (its body the compiler's lines: the first, place and all, is the message) and "Runtime error" for a TestMain that
 * exited. Other writers' placeholders (Dart's "1 failure, see stacktrace for details", Bazel's "exited with error
 * code 1") stay: the failure's cluster is keyed on its message unless the message is one it passes over as these
 * (server/analysis/fingerprint.ts), and a new message would move every such failure to a new cluster.
 */
const PLACEHOLDER_MESSAGE = /^(?:failed|build error|runtime error)$/i
/** go test's own lines around a test's output: which test ran and how it ended. */
const GO_RUNNER_LINE = /^(?:=== (?:RUN|PAUSE|CONT|NAME)\s|--- (?:FAIL|PASS|SKIP):)/
/** Where a go test log line (t.Error, t.Log) was written: "x_test.go:88: ". */
const GO_LOG_PLACE = /^[\w.-]+\.go:\d+: /
const GO_PANIC = /^panic: /

/**
 * The line of a placeholder failure's body that says what failed: a Go panic, else go test's first log line without
 * the place it was logged (the body below still shows it; go-junit-report writes the log line alone, gotestsum
 * between runner lines), else the first line.
 */
function headline(body: string): string | null {
  const lines = body.split('\n').map(l => l.trim()).filter(Boolean)
  const goLog = lines.find(l => GO_LOG_PLACE.test(l))
  return lines.find(l => GO_PANIC.test(l)) ?? goLog?.replace(GO_LOG_PLACE, '') ?? lines.find(l => !GO_RUNNER_LINE.test(l)) ?? null
}

/** A failure that says nothing of its own: the placeholder message, and a body of go test's runner lines at most. */
function saysNothing(message: string | null, stack: string | null): boolean {
  return PLACEHOLDER_MESSAGE.test(message ?? '') && (stack ?? '').split('\n').every(l => !l.trim() || GO_RUNNER_LINE.test(l.trim()))
}

/**
 * A Go panic in a test's output, from its `panic:` line to the end of its goroutine dump (go-junit-report writes a
 * panic in the package's output, not in the failure of the test that panicked). Null when there is none, or when its
 * stack runs test functions and not `test`'s own (it belongs to another test of the package).
 */
function goPanicIn(output: string, test: string): { message: string, stack: string } | null {
  const at = output.search(/^panic: /m)
  if (at < 0) return null
  const lines = output.slice(at).split('\n')
  const end = lines.findIndex(l => /^(?:exit status \d+|FAIL\s|ok\s)/.test(l))
  const stack = trimLines(lines.slice(0, end < 0 ? undefined : end).join('\n'))
  const tests = [...stack.matchAll(/\.(Test\w*)(?:\.func[\d.]+)?\(/g)].map(m => m[1]!)
  if (tests.length && !tests.includes(test.split('/')[0]!)) return null
  return { message: capText(lines[0]!.trim(), CAPS.message)!, stack: capText(stack, CAPS.stack)! }
}

/**
 * The failure of a Go test that says nothing of its own ("Failed", no body) takes its cause from where the report put
 * it, once its suite's output is known (junit-reader.ts):
 *  - a parent test that failed because its subtests failed (`failedTests` holds a `Parent/sub`) has no error of its
 *    own: its subtests' clusters hold the cause, and keyed on "Failed" it was one cluster with every other such parent;
 *  - a test whose output holds a panic (go-junit-report) fails with that panic, as gotestsum writes it.
 */
export function goCauseFromOutput(r: ParsedResult, failedTests: ReadonlySet<string>): void {
  const says = (a: { errorMessage: string | null, errorStack: string | null }) => !saysNothing(a.errorMessage, a.errorStack)
  if (!r.errorMessage || says(r)) return
  const parent = [...failedTests].some(t => t.startsWith(`${r.title}/`))
  const panic = parent || !r.stdout ? null : goPanicIn(r.stdout, r.title)
  if (!parent && !panic) return
  const error = { errorMessage: panic?.message ?? null, errorStack: panic?.stack ?? null }
  r.attempts = r.attempts.map(a => a.errorMessage && !says(a) ? { ...a, ...error } : a)
  Object.assign(r, lastError(r.attempts))
}

/** Whether go test's output shows `test` started and never ended: no `--- FAIL/PASS/SKIP:` line of its own. */
function cutOff(output: string, test: string): boolean {
  const said = (marker: RegExp) => output.split('\n').some(l => marker.exec(l.trim())?.[1] === test)
  return said(/^=== RUN\s+(\S+)/) && !said(/^--- (?:FAIL|PASS|SKIP):\s+(\S+)/)
}

/**
 * A panic ends the test binary, and gotestsum wrote what the tests it ended had logged as their failures, which made
 * a `t.Log` line the failure's message and the panic one cluster per thing logged:
 *  - a test of the package still running never ends (its body: `=== RUN`, its log lines, no `--- FAIL:`): it fails
 *    with the panic (from the failure of the test that panicked), its own output before the panic's stack, so it
 *    clusters with that panic;
 *  - the parent of the test that panicked fails with it: like a parent failed by its subtests (goCauseFromOutput), it
 *    has no error of its own (what it logged is its output), and its subtest's cluster holds the cause.
 */
export function goCutOffByPanic(failed: readonly ParsedResult[]): void {
  const panicked = failed.find(r => GO_PANIC.test(r.errorMessage ?? '') && r.errorStack)
  const panic = panicked ? goPanicIn(panicked.errorStack!, panicked.title) : null
  if (!panic) return
  const ownPanic = (a: { errorMessage: string | null, errorStack: string | null }) =>
    GO_PANIC.test(a.errorMessage ?? '') || /^panic: /m.test(a.errorStack ?? '')
  for (const r of failed) {
    if (r === panicked || !r.errorStack || ownPanic(r)) continue
    const parent = panicked!.title.startsWith(`${r.title}/`)
    if (!parent && !cutOff(r.errorStack, r.title)) continue
    // what the parent logged stays as its output
    if (parent) r.stdout ??= r.errorStack
    const ended = (a: ParsedAttempt): ParsedAttempt => parent
      ? { ...a, errorMessage: null, errorStack: null, stdout: a.stdout ?? a.errorStack }
      : { ...a, errorMessage: panic.message, errorStack: capText(`${a.errorStack}\n${panic.stack}`, CAPS.stack) }
    r.attempts = r.attempts.map(a => a.errorStack && !ownPanic(a) ? ended(a) : a)
    Object.assign(r, lastError(r.attempts))
  }
}

/** A <failure>/<error>/<flaky…>/<rerun…>: message attribute, else the body's first line; stack = the body (or its <stackTrace>). */
export function problem(e: ProblemElement, status: TestStatus): Problem {
  const a = e.attrs
  const body = e.stackTrace ?? (trimLines(e.text) || null)
  const said = a.message?.trim()
  const told = said && body && PLACEHOLDER_MESSAGE.test(said) ? headline(body) : null
  const message = (told && !PLACEHOLDER_MESSAGE.test(told) ? told : said) || firstLine(body) || a.type?.trim() || null
  return {
    status,
    message: capText(message, CAPS.message),
    stack: capText(body, CAPS.stack),
    stdout: capText(e.stdout, CAPS.output),
    stderr: capText(e.stderr, CAPS.output),
    durationMs: secondsToMs(a.time),
    ...(said || body ? {} : { bare: true }),
  }
}

/** A failure that says nothing of its own, told by its test's output (a Rust test's panic: libtest.ts); else itself. */
function toldByOutput(p: Problem, output: string | null): Problem {
  const cause = p.bare ? rustCauseFromOutput(output) : null
  return cause ? { ...p, message: cause.message, stack: cause.stack } : p
}

/**
 * Output with a note appended under a heading: what a testcase says beside its outcome (a PHPUnit <warning>, the
 * teardown error pytest writes as a testcase of its own) stays where the result page shows it.
 */
function withNote(output: string | null, heading: string, message: string | null, stack: string | null): string | null {
  const text = message && stack && !stack.includes(message) ? `${message}\n${stack}` : stack ?? message
  return capText([output, `${heading}: ${text ?? ''}`].filter(Boolean).join('\n'), CAPS.output)
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
  /** PHPUnit's <warning>: the test passed, with something to say */
  warnings: Problem[]
  skipped: { attrs: Attrs, text: string }[]
}

/** Everything the reader collected of one <testcase>, handed over when it closes. */
export interface CaseElement {
  attrs: Attrs
  /** The capped, trimmed name; '' when it has none. */
  title: string
  /** When the name was cut to its cap: the whole name's hash (testTitle). */
  titleHash?: string
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
  /** The project the suite ran in, where the report names it in `hostname` (junit-reader.ts). */
  variant: string | null
  /** How many times the report wrote this suite before (a project it does not name): see ParsedResult.repeat. */
  repeat: number
}

const SKIP_ATTRIBUTE_VALUES = new Set(['disabled', 'skipped', 'skip', 'notrun', 'not_run', 'ignored'])
const isSkipValue = (v: string | undefined) => SKIP_ATTRIBUTE_VALUES.has((v ?? '').trim().toLowerCase())

export const fileOf = (a: Attrs): string | null => capText(a.file?.trim() || a.filepath?.trim(), FIELD_CAPS.file)
export const titleOf = (a: Attrs) => testTitle(a.name?.trim())

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
  const stderr = c.children.warnings.reduce((out, w) => withNote(out, 'Warning', w.message, w.stack), capText(c.stderr, CAPS.output))
  const annotations: ParsedAnnotation[] = []
  const ch = c.children
  const children = ch.failures.some(p => p.bare) || ch.errors.some(p => p.bare)
    ? { ...ch, failures: ch.failures.map(p => toldByOutput(p, stdout)), errors: ch.errors.map(p => toldByOutput(p, stdout)) }
    : ch
  const attempts = caseAttempts(children, a, durationMs, stdout, stderr, annotations)
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

  const error = lastError(attempts)
  return result({
    title: title || '(unnamed testcase)',
    titleHash: c.titleHash || undefined,
    variant: ctx.variant,
    repeat: ctx.repeat || undefined,
    status,
    flaky: status === 'passed' && ch.flakes.length > 0,
    attempts,
    durationMs,
    file,
    line: lineOrNull(a.line),
    suitePath,
    errorMessage: error.errorMessage,
    errorStack: error.errorStack,
    stdout,
    stderr,
    annotations,
    attachments,
    properties,
  })
}

const TEARDOWN_MESSAGE = /^failed on teardown with /

/** Whether two results of a report are executions of one test: the same identity (testIdentity) and repetition. */
export function sameTest(a: ParsedResult, b: ParsedResult): boolean {
  return a.title === b.title && a.titleHash === b.titleHash && a.file === b.file && a.variant === b.variant
    && (a.repeat ?? 0) === (b.repeat ?? 0) && (a.suitePath === b.suitePath || a.suitePath.join('\0') === b.suitePath.join('\0'))
}

/**
 * Testcases of one test written one after another in a suite, with a pass before the last of them, are invocations of
 * a test that runs several times under one name (a JUnit 5 @ParameterizedTest or @RepeatedTest with a fixed display
 * name, a TestNG data provider, test.each with one title), not its retries: a retry follows a failed try only (Gradle's
 * test-retry plugin, gotestsum and Bazel rerun what failed; TestNG writes the try it retries as skipped), and Gradle,
 * grouping its own reruns (mergeReruns), starts another test at each pass too. Each invocation after the first gets
 * its place as its variant, `2`, `3`… (after the project's name where the report gives one): the first keeps the
 * identity the test had, and a later round of the same invocations (the test-retry plugin runs every invocation of a
 * parameterized method again) folds into them place by place, a pass after a failure a flaky pass.
 */
export function numberInvocations(run: ParsedResult[]): void {
  if (run.slice(0, -1).every(r => r.status !== 'passed')) return
  for (let i = 1; i < run.length; i++) {
    const r = run[i]!
    r.variant = capText(r.variant ? `${r.variant} ${i + 1}` : String(i + 1), FIELD_CAPS.variant)
  }
}

/**
 * pytest writes a test whose call failed and whose teardown then errored as two testcases of the same name, the
 * second holding only the teardown's <error>. The test ran once: `earlier`, the call's failure, stays its outcome and
 * the teardown error is noted in its output. Null when `later` is not that second testcase of `earlier`.
 */
export function withTeardownOf(earlier: ParsedResult, later: ParsedResult): ParsedResult | null {
  const teardown = later.status === 'errored' && later.attempts.length === 1 && TEARDOWN_MESSAGE.test(later.errorMessage ?? '')
  if (!teardown || !FAILING.has(earlier.status) || !sameTest(earlier, later)) return null
  const stderr = withNote(earlier.stderr, 'Teardown error', later.errorMessage, later.errorStack)
  const last = earlier.attempts[earlier.attempts.length - 1]!
  return { ...earlier, stderr, attempts: [...earlier.attempts.slice(0, -1), { ...last, stderr }] }
}
