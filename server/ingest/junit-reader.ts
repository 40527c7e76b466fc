import { CAPS, capText, countBefore } from './common'
import {
  fileOf, goCauseFromOutput, goCutOffByPanic, joinText, numberInvocations, problem, readProperty, sameTest,
  testcaseResult, titleOf, trimLines, withTeardownOf,
  type CaseElement, type ProblemElement, type SuiteContext,
} from './junit-case'
import { FIELD_CAPS, assertSuiteDepth } from './limits'
import { testIdentity } from './merge'
import { ReportParseError, type ParsedResult, type ParsedRunError } from './types'
import { scanXml, type Attrs } from './xml-scan'

/*
 * Reads a well-formed JUnit document in one pass (xml-scan.ts) and hands each result over as its <testcase> closes:
 * no tree of the document is built, and only the elements on the current path are held. What an element means
 * depends on where it sits, as in every JUnit consumer: testcases may sit at any depth under suites (and under
 * unknown wrappers), a stray <error>/<failure> directly in a suite is a run error, a testcase nested in a testcase
 * is a test of its own after its parent. Suite properties apply to the testcases after them (every producer writes
 * them first). Several documents one after another (cargo test writes one per test binary) are read as one report:
 * a suite a later document writes again is a repetition (ParsedResult.repeat), so a test two binaries both have
 * (two crates' `tests::it_works`) is two executions, a failure of either a failure, never a flaky pass.
 */

export interface JunitSink {
  result: (r: ParsedResult) => void
  errors: ParsedRunError[]
  stdout: string[]
  stderr: string[]
  unnamed: number
  /** References to entities XML does not define, by name (kept as written), for the receipt's note. */
  undefinedEntities: Map<string, number>
  /** The report being read (the last one read once the file has ended), null before its root. */
  document: JunitDocument | null
  /**
   * Told as each report's root closes: one report, unless the file holds several one after another (cargo test writes
   * one per test binary). Each is handed over and forgotten, so a file of many holds one at a time.
   */
  endDocument: (d: JunitDocument) => void
  /** Characters of suite-level output that went to no failed test (SuiteOutput), for the receipt's note. */
  outputNotKept: number
}

/**
 * A report's root element, its name and attributes, and the timestamp/time of each <testsuite> directly under a
 * <testsuites> root, for the run's timing, and the failures and errors it counts, for a root that counts none
 * (junit.ts: unheldFailures).
 */
export interface JunitDocument {
  name: string
  attrs: Attrs
  topSuites: { timestamp?: string, time?: string, failures?: string, errors?: string }[]
}

/**
 * A <testsuite>'s own <system-out>/<system-err> (Gradle writes a test class's output there, after its testcases) and
 * its results held until it closes, so that its failed tests get that output: the report does not say which test
 * wrote which line, and a failure's log is what its reader needs.
 */
interface SuiteOutput {
  name: string | null
  /**
   * pytest's suite (its default name): pytest-rerunfailures writes each rerun of a failed test as an empty testcase
   * before the next try, so an earlier testcase of the same test that reads as passed had failed (asRerun). By test
   * (its identity and repetition), the last testcase still waiting.
   */
  reruns: Map<string, Held> | null
  stdout: string[]
  stderr: string[]
  /** Its failed results still waiting (and some already handed over past HELD_FOR_OUTPUT, marked so). */
  failed: Held[]
  closed: boolean
}

interface Held {
  r: ParsedResult
  out: Out
  suite: SuiteOutput | null
  delivered?: boolean
  /** Its test, in a pytest suite (SuiteOutput.reruns). */
  key?: string
}

/**
 * A testcase of a pytest suite that a later one of the same test follows: a try that failed (SuiteOutput.reruns). Its
 * error is not in the report, so it has none (and no failure cluster of its own).
 */
function asRerun(r: ParsedResult): void {
  if (r.status !== 'passed' || r.flaky || r.attempts.length !== 1) return
  r.status = 'failed'
  r.attempts = [{ ...r.attempts[0]!, status: 'failed' }]
}

/** Results held at most, in all, for their suite's output; past it the oldest go on without it (bounded memory). */
export const HELD_FOR_OUTPUT = 1000

type Out = (r: ParsedResult) => void

type Frame
  = | { kind: 'suite', ctx: SuiteContext, inherited: Record<string, string>, own: Record<string, string>, out: Out, file: string | null, casesBefore: number, output: SuiteOutput | null }
    | { kind: 'wrapper', ctx: SuiteContext, out: Out }
    | { kind: 'case', ctx: SuiteContext, el: CaseElement, nested: ParsedResult[], out: Out }
    | { kind: 'problem', el: ProblemElement, done: (el: ProblemElement) => void }
    | { kind: 'text', text: string, done: (text: string) => void }
    | { kind: 'properties', into: Record<string, string>, done: () => void }
    | { kind: 'skip' }
    /** rustdoc's <report> of its timings after the reports of a cargo test run: it holds no tests */
    | { kind: 'timings' }

/** Elements whose content nobody reads (they may still be deep; the scanner walks past them). */
const SKIP: Frame = { kind: 'skip' }

const PROBLEM_STATUS = {
  error: 'errored', failure: 'failed', rerunFailure: 'failed', rerunError: 'errored', flakyFailure: 'failed', flakyError: 'errored',
} as const

function caseFrame(a: Attrs, ctx: SuiteContext, out: Out): Frame {
  const children = { errors: [], failures: [], reruns: [], flakes: [], warnings: [], skipped: [] }
  return { kind: 'case', ctx, el: { attrs: a, ...titleOf(a), children, stdout: null, stderr: null, properties: {} }, nested: [], out }
}

const problemFrame = (a: Attrs, done: (el: ProblemElement) => void): Frame =>
  ({ kind: 'problem', el: { attrs: a, text: '', stackTrace: null, stdout: null, stderr: null }, done })

const textFrame = (done: (text: string) => void): Frame => ({ kind: 'text', text: '', done })

/** The element handler of one read: a stack of frames, one per open element. */
class Reader {
  readonly stack: Frame[] = []
  /** Equal suite paths, shared between the results of the report. */
  readonly paths = new Map<string, string[]>()
  /** How often each named suite (path, file, variant) was opened so far: a suite written again is a repetition. */
  private readonly suiteRuns = new Map<string, number>()
  /** The last result read, handed over when the next one is (pytest's teardown testcase joins it: withTeardownOf). */
  private held: Held | null = null
  /**
   * Outside pytest's suite, the testcases of one test read one after another so far, held until the next testcase
   * (numberInvocations). They wait for their suite's output, so the run ends before any of them is handed over.
   */
  private run: Held[] = []
  /** Results handed over but waiting for their suite to close (SuiteOutput), in document order. */
  private waiting: Held[] = []
  private waitingFrom = 0
  constructor(readonly sink: JunitSink, private readonly hostVariants: boolean) {}

  /** Testcases opened so far (a suite's close compares it with the count at its open). */
  private cases = 0
  /** The document names each spec's file on a top-level suite of its own (mocha-junit-reporter's Root Suite). */
  private specFiles = false

  open(tag: string, attrs: () => Attrs): void {
    const parent = this.stack[this.stack.length - 1]
    const frame = parent ? this.child(parent, tag, attrs) : this.root(tag, attrs)
    if (frame.kind === 'case') this.cases++
    else if (frame.kind === 'suite') frame.casesBefore = this.cases
    this.stack.push(frame)
  }

  close(): void {
    const f = this.stack.pop()!
    switch (f.kind) {
      case 'case': {
        if (!f.el.title) this.sink.unnamed++
        this.emit(testcaseResult(f.el, f.ctx, this.paths), f.out)
        for (const r of f.nested) this.emit(r, f.out)
        return
      }
      case 'problem': return f.done(f.el)
      case 'text': return f.done(f.text)
      case 'properties': return f.done()
      case 'suite': {
        if (f.output) this.closeSuite(f.output)
        if (!this.stack.length) return this.sink.endDocument(this.sink.document!)
        // a top-level suite that names a file and holds no test (mocha-junit-reporter's "Root Suite", which Cypress
        // writes once per spec file) gives that file to the suites after it that name none: without it, two specs'
        // tests of the same name read as one test twice. Once a document is written so, every top-level suite that
        // names a file starts the next spec, tests of its own or not (a merged report of several specs)
        const root = this.stack[0]
        if (this.stack.length !== 1 || root?.kind !== 'suite' || !f.file) return
        if (this.cases === f.casesBefore || this.specFiles) {
          this.specFiles = true
          root.ctx = { ...root.ctx, file: f.file }
        }
        return
      }
    }
  }

  private emit(r: ParsedResult, out: Out): void {
    const joined = this.held?.out === out ? withTeardownOf(this.held.r, r) : null
    if (joined) {
      this.held!.r = joined
      return
    }
    this.flush()
    this.held = { r, out, suite: this.innermostSuite() }
  }

  /** Hands over the result held back, if any: at once, or after its suite's output is read (SuiteOutput). */
  private flush(): void {
    const held = this.held
    this.held = null
    if (!held) return
    // a test nested in a testcase goes to its parent, which is held in its turn
    if (!held.suite || held.out !== this.sink.result) return held.out(held.r)
    this.waiting.push(held)
    const { r, suite } = held
    if (suite.reruns) {
      held.key = `${testIdentity(r)}:${r.repeat ?? 0}`
      const before = suite.reruns.get(held.key)
      if (before && !before.delivered) asRerun(before.r)
      suite.reruns.set(held.key, held)
    }
    else {
      const last = this.run[this.run.length - 1]
      if (last && (last.suite !== suite || !sameTest(last.r, r))) this.endRun()
      this.run.push(held)
    }
    if (r.status === 'failed' || r.status === 'errored' || r.flaky) {
      suite.failed.push(held)
      if (suite.failed.length > 2 * HELD_FOR_OUTPUT) suite.failed = suite.failed.filter(h => !h.delivered)
    }
    this.deliver()
  }

  /** The <testsuite> the test being read sits in, when it is still open. */
  private innermostSuite(): SuiteOutput | null {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i]!
      if (f.kind === 'suite' && f.output) return f.output
    }
    return null
  }

  /**
   * A suite's output goes to its failed tests that have none of their own, and a Go test's failure that says nothing
   * takes its cause from it (goCauseFromOutput); then they go on.
   */
  private closeSuite(suite: SuiteOutput): void {
    this.flush()
    if (this.run[0]?.suite === suite) this.endRun()
    suite.closed = true
    const failed = suite.failed.filter(h => !h.delivered)
    const chars = [...suite.stdout, ...suite.stderr].reduce((n, t) => n + t.length, 0)
    if (chars && !failed.length) this.sink.outputNotKept += chars
    const said = `── output of ${suite.name ? `the suite ${suite.name}` : 'its suite'}, written for all of its tests ──`
    const of = (lines: string[]) => lines.length ? capText(`${said}\n${lines.join('\n')}`, CAPS.output) : null
    const failedTests = new Set(failed.map(h => h.r.title))
    for (const { r } of failed) {
      r.stdout ??= of(suite.stdout)
      r.stderr ??= of(suite.stderr)
      goCauseFromOutput(r, failedTests)
    }
    goCutOffByPanic(failed.map(h => h.r))
    suite.failed = []
    suite.reruns?.clear()
    this.deliver()
  }

  /** Hands over, in order, the results whose suite has closed, and the oldest past HELD_FOR_OUTPUT. */
  private deliver(): void {
    const q = this.waiting
    while (this.waitingFrom < q.length && (q[this.waitingFrom]!.suite!.closed || q.length - this.waitingFrom > HELD_FOR_OUTPUT)) {
      const h = q[this.waitingFrom++]!
      if (this.run[0] === h) this.endRun()
      h.delivered = true
      if (h.key && h.suite!.reruns!.get(h.key) === h) h.suite!.reruns!.delete(h.key)
      h.out(h.r)
    }
    if (this.waitingFrom === q.length) {
      this.waiting = []
      this.waitingFrom = 0
    }
  }

  /** Numbers the invocations of the run of testcases read (numberInvocations), and starts the next. */
  private endRun(): void {
    if (this.run.length > 1) numberInvocations(this.run.map(h => h.r))
    this.run = []
  }

  /** Hands over everything still held (the document has ended). */
  end(): void {
    this.flush()
    for (const h of this.waiting.slice(this.waitingFrom)) h.out(h.r)
    this.waiting = []
    this.waitingFrom = 0
  }

  undefinedEntity(name: string): void {
    this.sink.undefinedEntities.set(name, (this.sink.undefinedEntities.get(name) ?? 0) + 1)
  }

  wantsText(): boolean {
    const kind = this.stack[this.stack.length - 1]?.kind
    return kind === 'text' || kind === 'problem'
  }

  text(s: string): void {
    const f = this.stack[this.stack.length - 1]!
    if (f.kind === 'text') f.text += s
    else if (f.kind === 'problem') f.el.text += s
  }

  /** The root of a report (junit-wellformed.ts has checked the roots after the first). */
  private root(tag: string, attrs: () => Attrs): Frame {
    if (tag === 'report' && this.sink.document) return { kind: 'timings' }
    if (tag !== 'testsuites' && tag !== 'testsuite') {
      throw new ReportParseError(`This XML is not a JUnit report: the root element is <${tag}>, expected <testsuites> or <testsuite>.`, { code: 'not_junit' })
    }
    const a = attrs()
    this.sink.document = { name: tag, attrs: a, topSuites: [] }
    return this.suiteFrame(tag, a, { suites: [], file: null, properties: {}, variant: null, repeat: 0 }, this.sink.result)
  }

  private suiteFrame(tag: string, a: Attrs, ctx: SuiteContext, out: Out): Frame {
    const name = tag === 'testsuite' ? capText(a.name?.trim(), FIELD_CAPS.suite) : null
    const file = fileOf(a)
    const suites = name ? [...ctx.suites, name] : ctx.suites
    assertSuiteDepth(suites.length, 'JUnit report', suites)
    const variant = this.hostVariants && tag === 'testsuite' && a.hostname != null ? capText(a.hostname.trim(), FIELD_CAPS.variant) : ctx.variant
    let repeat = ctx.repeat
    if (name) repeat = Math.max(repeat, countBefore(this.suiteRuns, [variant ?? '', file ?? ctx.file ?? '', ...suites].join('\0')))
    const here: SuiteContext = { suites, file: file ?? ctx.file, properties: ctx.properties, variant, repeat }
    const output = tag === 'testsuite'
      ? { name, reruns: name === 'pytest' ? new Map() : null, stdout: [], stderr: [], failed: [], closed: false }
      : null
    return { kind: 'suite', ctx: here, inherited: ctx.properties, own: {}, out, file, casesBefore: 0, output }
  }

  /** A <testsuite>/<testsuites> or a <testcase> found where tests may be, or null for another element. */
  private testElement(tag: string, attrs: () => Attrs, ctx: SuiteContext, out: Out): Frame | null {
    if (tag === 'testcase') return caseFrame(attrs(), ctx, out)
    if (tag === 'testsuite' || tag === 'testsuites') return this.suiteFrame(tag, attrs(), ctx, out)
    return null
  }

  private child(parent: Frame, tag: string, attrs: () => Attrs): Frame {
    switch (parent.kind) {
      case 'suite': return this.inSuite(parent, tag, attrs)
      case 'wrapper': {
        const test = this.testElement(tag, attrs, parent.ctx, parent.out)
        if (test) return test
        if (tag === 'properties' || tag === 'skipped' || tag === 'system-out' || tag === 'system-err') return SKIP
        return { kind: 'wrapper', ctx: parent.ctx, out: parent.out }
      }
      case 'case': return this.inCase(parent, tag, attrs)
      case 'problem': {
        const el = parent.el
        if (tag === 'stackTrace') return textFrame((text) => { el.stackTrace = joinText(el.stackTrace, text) })
        if (tag === 'system-out') return textFrame((text) => { el.stdout = joinText(el.stdout, text) })
        if (tag === 'system-err') return textFrame((text) => { el.stderr = joinText(el.stderr, text) })
        return SKIP
      }
      case 'properties': {
        if (tag !== 'property') return SKIP
        const a = attrs()
        const into = parent.into
        return textFrame(text => readProperty(a, text, into))
      }
      case 'timings': throw new ReportParseError(
        `This XML is not a JUnit report: the <report> after its JUnit reports (rustdoc writes one with its timings) holds a <${tag}>; only <testsuites> and <testsuite> hold tests.`,
        { code: 'not_junit' },
      )
      default: return SKIP
    }
  }

  /** A child of a <testsuite>/<testsuites>: tests, run errors, suite output, suite properties, or a wrapper. */
  private inSuite(f: Extract<Frame, { kind: 'suite' }>, tag: string, attrs: () => Attrs): Frame {
    const sink = this.sink
    const doc = sink.document!
    if (tag === 'testsuite' && this.stack.length === 1 && doc.name === 'testsuites') {
      const a = attrs()
      doc.topSuites.push({ timestamp: a.timestamp, time: a.time, failures: a.failures, errors: a.errors })
    }
    const test = this.testElement(tag, attrs, f.ctx, f.out)
    if (test) return test
    if (tag === 'error' || tag === 'failure') {
      return problemFrame(attrs(), (el) => {
        const p = problem(el, PROBLEM_STATUS[tag])
        const where = f.ctx.suites.length ? `${f.ctx.suites.join(' › ')}: ` : ''
        sink.errors.push({ message: capText(`${where}${p.message ?? `<${tag}> outside any testcase`}`, CAPS.message)!, stack: p.stack })
      })
    }
    if (tag === 'system-out' || tag === 'system-err') {
      return textFrame((text) => {
        const t = trimLines(text)
        if (!t) return
        ;(tag === 'system-out' ? sink.stdout : sink.stderr).push(t)
        if (f.output) (tag === 'system-out' ? f.output.stdout : f.output.stderr).push(t)
        else sink.outputNotKept += t.length
      })
    }
    if (tag === 'properties') {
      const done = () => {
        if (Object.keys(f.own).length) f.ctx = { ...f.ctx, properties: { ...f.inherited, ...f.own } }
      }
      return { kind: 'properties', into: f.own, done }
    }
    if (tag === 'skipped') return SKIP
    return { kind: 'wrapper', ctx: f.ctx, out: f.out }
  }

  /** A child of a <testcase>: its outcome elements, output, properties, and tests nested in it. */
  private inCase(f: Extract<Frame, { kind: 'case' }>, tag: string, attrs: () => Attrs): Frame {
    const el = f.el
    const ch = el.children
    if (tag in PROBLEM_STATUS) {
      const status = PROBLEM_STATUS[tag as keyof typeof PROBLEM_STATUS]
      const list = tag === 'error' ? ch.errors : tag === 'failure' ? ch.failures : tag.startsWith('rerun') ? ch.reruns : ch.flakes
      return problemFrame(attrs(), e => list.push(problem(e, status)))
    }
    // PHPUnit 9: a test that passed with a warning (a deprecation); the test's status stays its own
    if (tag === 'warning') return problemFrame(attrs(), e => ch.warnings.push(problem(e, 'passed')))
    if (tag === 'skipped') {
      const a = attrs()
      return textFrame(text => ch.skipped.push({ attrs: a, text }))
    }
    if (tag === 'system-out') return textFrame((text) => { el.stdout = joinText(el.stdout, text) })
    if (tag === 'system-err') return textFrame((text) => { el.stderr = joinText(el.stderr, text) })
    if (tag === 'properties') return { kind: 'properties', into: el.properties, done: () => {} }
    if (tag === 'testcase' || tag === 'testsuite') {
      // read as if walked after the testcase: its title is one more suite around them
      const inner = { ...f.ctx, suites: [...f.ctx.suites, el.title || '(unnamed testcase)'] }
      return this.testElement(tag, attrs, inner, r => f.nested.push(r))!
    }
    return SKIP
  }
}

/** Reads `xml` (already checked to be well-formed), passing results to the sink as they complete. */
export function readJunit(xml: string, sink: JunitSink): void {
  const reader = new Reader(sink, hostnamesNameProjects(xml))
  scanXml(xml, reader)
  reader.end()
  if (!sink.document) throw new ReportParseError('The XML has no root element.', { code: 'malformed_xml' })
}

const HOSTNAME = /\bhostname\s*=\s*(?:"([^"]*)"|'([^']*)')/g

/**
 * Whether the suites' `hostname` names the project each ran in: Playwright's JUnit reporter writes a spec file's suite
 * once per project, with the project's name as its hostname, so the same suite appears under two hostnames. A report
 * written on one machine (Ant, Surefire, vitest) has one hostname, and one merged from machines that ran different
 * suites has no suite under two: their tests keep the identities they had, without a variant.
 */
function hostnamesNameProjects(xml: string): boolean {
  const values = new Set<string>()
  for (const m of xml.matchAll(HOSTNAME)) if (values.add(m[1] ?? m[2]!).size > 1) break
  if (values.size < 2) return false // the common case, told without reading a tag
  const hostOf = new Map<string, string>()
  let twice = false
  scanXml(xml, {
    open(tag, attrs) {
      if (twice || tag !== 'testsuite') return
      const { name = '', hostname } = attrs()
      if (hostname == null) return
      const before = hostOf.get(name)
      if (before === undefined) hostOf.set(name, hostname)
      else twice = before !== hostname
    },
    close() {},
    wantsText: () => false,
    text() {},
  })
  return twice
}
