import { CAPS, capText, isoOrNull, secondsToMs, stripBom } from './common'
import { assertWellFormed } from './junit-wellformed'
import { readJunit, type JunitDocument, type JunitSink } from './junit-reader'
import { FAILING } from './merge'
import type { ParsedReport, ParsedResult, ParsedRunError } from './types'

/*
 * JUnit XML, from any producer (Surefire, Gradle, pytest, jest-junit, vitest, gotestsum, .NET loggers, PHPUnit, RSpec,
 * Playwright, Bazel…). Counting follows ../shared/corpus/README.md: one result per <testcase> element at any depth,
 * attribute totals ignored.
 *
 * Security: DTD entities are never expanded. A document that declares any (<!ENTITY …>, the XXE and "billion laughs"
 * vectors) is refused before it is read; the five predefined entities and numeric character references are decoded
 * in text and attributes, and nothing else is.
 *
 * Memory: the document is checked (junit-wellformed.ts), then read in one streaming pass (junit-reader.ts) that hands
 * each result over as it completes, so a large report never exists as a tree or as a list of results here.
 */

/**
 * Reads JUnit XML, calling `onResult` for every result in document order; the report returned has no results of
 * its own. Throws ReportParseError (with line/column where known) for anything that is not a well-formed JUnit report.
 */
export function streamJunit(text: string, onResult: (r: ParsedResult) => void): ParsedReport {
  const xml = stripBom(text)
  assertWellFormed(xml)
  // the testcases' own times, the last resort for the run's duration
  let casesMs: number | null = null
  let failing = false
  const result = (r: ParsedResult) => {
    if (r.durationMs != null) casesMs = (casesMs ?? 0) + r.durationMs
    failing ||= FAILING.has(r.status) || r.flaky
    onResult(r)
  }
  const documents = new Documents()
  const sink: JunitSink = {
    result, errors: [], stdout: [], stderr: [], unnamed: 0, undefinedEntities: new Map(), document: null,
    endDocument: d => documents.add(d), outputNotKept: 0,
  }
  readJunit(xml, sink)

  const { startedAt } = documents
  let durationMs = documents.durationMs
  // Neither the roots nor their suites say (pytest's bare <testsuite>, Bazel, cargo test, hand-written reports): the testcases' sum.
  if (durationMs == null && casesMs != null) durationMs = Math.round(casesMs * 1000) / 1000

  const warnings: string[] = []
  const nuls = countNuls(xml)
  if (nuls) warnings.push(`${nuls} NUL character${nuls === 1 ? '' : 's'} (U+0000), which XML does not allow, ${nuls === 1 ? 'was' : 'were'} removed from the text.`)
  if (sink.unnamed) warnings.push(`${sink.unnamed} testcase${sink.unnamed === 1 ? ' has' : 's have'} no name; shown as "(unnamed testcase)".`)
  if (sink.undefinedEntities.size) warnings.push(undefinedEntitiesNote(sink.undefinedEntities))
  if (sink.outputNotKept) {
    warnings.push(`${sink.outputNotKept.toLocaleString('en-US')} characters of suite-level output (a <testsuite>'s own <system-out>/<system-err>, where Gradle writes a test class's output) were not kept: a suite's output is kept with its failed tests, and these suites had none. Gradle's reports.junitXml.outputPerTestCase = true writes output with each test.`)
  }
  if (sink.errors.length) warnings.push(`${sink.errors.length} <error>/<failure> element${sink.errors.length === 1 ? ' sits' : 's sit'} outside any testcase; reported as run errors, not tests.`)
  const unheld = failing || sink.errors.length ? null : unheldFailures(documents)
  if (unheld) sink.errors.push(unheld)
  return {
    format: 'junit',
    tool: null,
    startedAt,
    durationMs,
    results: [],
    errors: sink.errors,
    stdout: capText(sink.stdout.join('\n'), CAPS.output),
    stderr: capText(sink.stderr.join('\n'), CAPS.output),
    metadata: {},
    warnings,
  }
}

type Counted = Record<'failures' | 'errors', number>

/** How many failures and errors an element's attributes count (a value that is not a count counts none). */
function counted(a: { failures?: string, errors?: string }): Counted {
  const of = (v: string | undefined) => {
    const n = Number(v ?? 0)
    return Number.isSafeInteger(n) && n > 0 ? n : 0
  }
  return { failures: of(a.failures), errors: of(a.errors) }
}

const sum = (t: Counted, x: Counted): Counted => ({ failures: t.failures + x.failures, errors: t.errors + x.errors })

/**
 * What the run takes from the reports of a file, read one at a time (one, unless cargo test wrote one per test
 * binary): the first start a report says, the sum of their durations when each says its own, and what they count.
 */
class Documents {
  count = 0
  startedAt: string | null = null
  private ms = 0
  private timed = true
  first: { name: string, own: Counted } | null = null
  counted: Counted = { failures: 0, errors: 0 }

  /** A report's timing from its root's own attributes, else its first suite's start and the sum of its top-level suites. */
  add({ name, attrs, topSuites }: JunitDocument): void {
    let startedAt = isoOrNull(attrs.timestamp, `<${name}> timestamp`)
    let durationMs = secondsToMs(attrs.time)
    if (name === 'testsuites' && (startedAt == null || durationMs == null)) {
      let suites: number | null = null
      for (const sa of topSuites) {
        startedAt ??= isoOrNull(sa.timestamp, '<testsuite> timestamp')
        const t = secondsToMs(sa.time)
        if (t != null) suites = (suites ?? 0) + t
      }
      durationMs ??= suites == null ? null : Math.round(suites * 1000) / 1000
    }
    this.startedAt ??= startedAt
    if (durationMs == null) this.timed = false
    else this.ms += durationMs
    // each report by its root where the root counts, else by its top-level suites
    const own = counted(attrs)
    this.counted = sum(this.counted, own.failures + own.errors > 0 ? own : topSuites.map(counted).reduce(sum, { failures: 0, errors: 0 }))
    if (!this.count++) this.first = { name, own }
  }

  get durationMs(): number | null {
    if (!this.timed || !this.count) return null
    return this.count === 1 ? this.ms : Math.round(this.ms * 1000) / 1000
  }
}

/**
 * A report that counts failures or errors while every testcase in it passed (or was skipped) and no <error>/<failure>
 * sits outside them: what failed is not in the report, and the run must not read as passed. gotestsum before Go 1.24
 * writes a package that did not build so: go test prints its `FAIL <package> [build failed]` outside the JSON stream
 * gotestsum reads, so the package gets no testcase, and the root counts its compiler errors. What the root counts,
 * else (a root that counts nothing) its top-level suites, as a run error that says so; null when they count none.
 */
function unheldFailures(documents: Documents): ParsedRunError | null {
  const c = documents.counted
  const kinds = (['failures', 'errors'] as const).filter(k => c[k] > 0)
  if (!kinds.length) return null
  const root = documents.first!
  const fromRoot = documents.count === 1 && root.own.failures + root.own.errors > 0
  const attrs = kinds.map(k => `${k}="${c[k]}"`).join(' ')
  const counts = kinds.map(k => `${c[k]} ${c[k] === 1 ? k.slice(0, -1) : k}`).join(' and ')
  const where = fromRoot ? `<${root.name} ${attrs}>` : `${documents.count > 1 ? 'its roots and' : 'its'} <testsuite> elements, ${attrs} in all`
  // the PR comment shows a run error's first 200 characters: what was counted, and where to look, come first
  const message = `The report counts ${counts} (${where}) that `
    + 'no testcase holds; see the job\'s log: gotestsum before Go 1.24 writes a Go package that did not build so, with no '
    + 'testcase (go test\'s "FAIL <package> [build failed]" is outside the JSON stream it reads).'
  return { message, stack: null }
}

function countNuls(xml: string): number {
  let n = 0
  for (let i = xml.indexOf('\0'); i !== -1; i = xml.indexOf('\0', i + 1)) n++
  return n
}

/** The receipt's note on entity references XML does not define: which, how often, and that they were kept as written. */
function undefinedEntitiesNote(found: Map<string, number>): string {
  const total = [...found.values()].reduce((a, b) => a + b, 0)
  const named = [...found].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, n]) => `&${name};${n > 1 ? ` ×${n}` : ''}`)
  const more = found.size > 5 ? `, and ${found.size - 5} more` : ''
  return `${total} reference${total === 1 ? '' : 's'} to entities XML does not define (${named.join(', ')}${more}) kept as written: `
    + 'XML has only &amp; &lt; &gt; &quot; &apos; and numeric references like &#160;.'
}

/** Parses JUnit XML into a report with its results. Throws ReportParseError as streamJunit does. */
export function parseJunit(text: string): ParsedReport {
  const results: ParsedResult[] = []
  const report = streamJunit(text, r => results.push(r))
  report.results = results
  return report
}

const PROLOG_AND_ROOT = /^\s*(?:<\?[\s\S]*?\?>\s*|<!--[\s\S]*?-->\s*)*<(testsuites|testsuite)\b([^>]*)>/
const SUITE_TAG = /<testsuite\b([^>]*)>/g
const TIMESTAMP = /\btimestamp\s*=\s*(?:"([^"&]*)"|'([^'&]*)')/

/**
 * The start a JUnit report's parse will give (Documents: its root's timestamp, else its first suite's that has one),
 * read off the tags at the head of the text before the parse, or undefined when the head does not show it plainly
 * (not one of JUnit's roots, another encoding). A guess that the parse checks: a report whose timestamps come later
 * than `head` (a suite that says none before one that does) reads as null here.
 */
export function junitStartHint(head: string): string | null | undefined {
  const text = stripBom(head)
  const root = PROLOG_AND_ROOT.exec(text)
  if (!root) return undefined
  const own = TIMESTAMP.exec(root[2]!)
  const rootAt = own && isoOrNull(own[1] ?? own[2])
  if (rootAt || root[1] === 'testsuite') return rootAt
  for (const tag of text.slice(root.index + root[0].length).matchAll(SUITE_TAG)) {
    const stamp = TIMESTAMP.exec(tag[1]!)
    const at = stamp && isoOrNull(stamp[1] ?? stamp[2])
    if (at) return at
  }
  return null
}
