import { assertNotEmpty, stripBom } from './common'
import { readJson, type JsonCursor, type Span } from './json-scan'
import { assertJsonDepth } from './limits'
import { parsePlaywrightObject, refuseWebdriverIo, reportTail, resultTally, walkSuites, type SuiteSource } from './playwright'
import type { ParsedReport, ParsedResult } from './types'

/*
 * A Playwright JSON report read without decoding it whole: one pass over the text finds where each suite's title,
 * file, specs and child suites are (spans, a few numbers per spec), then the walk of playwright.ts decodes one spec
 * at a time and hands its tests over as it goes. Same results, notes and errors as parsePlaywright, in the same
 * order (a unit test compares the two over every Playwright report we have); a document that is not certainly a
 * Playwright report (JSON.parse would refuse it, or its shape is another's) is parsed whole as before, errors included.
 */

type Obj = Record<string, unknown>

/** The top-level members of a JSON document that is an object, each key's last value (as JSON.parse keeps it). */
interface TopLevel {
  cursor: JsonCursor
  spans: Map<string, Span>
  /** The suite tree of the last `suites` member when it is an array. */
  suites: SpanSuite[] | null
}

interface SpanSuite {
  title?: Span
  file?: Span
  specs: Span[]
  suites: SpanSuite[]
}

/** What `read` makes of each object element of the array at the cursor (nothing when the value is not an array). */
function eachObject<T>(c: JsonCursor, read: () => T): T[] {
  const out: T[] = []
  if (c.peek() !== '[') {
    c.skip()
    return out
  }
  c.elements(() => {
    if (c.peek() === '{') out.push(read())
    else c.skip()
  })
  return out
}

/** The suites of the array at the cursor (objects only, as the walk reads them), with their own suites. */
function suiteSpans(c: JsonCursor): SpanSuite[] {
  return eachObject(c, () => {
    const suite: SpanSuite = { specs: [], suites: [] }
    c.members((key) => {
      if (key === 'title') suite.title = c.skip()
      else if (key === 'file') suite.file = c.skip()
      else if (key === 'specs') suite.specs = eachObject(c, () => c.skip())
      else if (key === 'suites') suite.suites = suiteSpans(c)
      else c.skip()
    })
    return suite
  })
}

/** The top level of a document that is an object, read to its end and checked on the way (readJson). */
function readTopLevel(cursor: JsonCursor): TopLevel {
  const spans = new Map<string, Span>()
  let suites: SpanSuite[] | null = null
  cursor.members((key) => {
    const at = cursor.peek()
    if (key === 'suites') {
      const start = cursor.i
      suites = at === '[' ? suiteSpans(cursor) : (cursor.skip(), null)
      spans.set(key, { start, end: cursor.i })
    }
    else spans.set(key, cursor.skip())
  })
  return { cursor, spans, suites }
}

function fromSpans(c: JsonCursor, suite: SpanSuite): SuiteSource {
  return {
    title: suite.title && c.value(suite.title),
    file: suite.file && c.value(suite.file),
    * specs() {
      for (const span of suite.specs) yield c.value(span) as Obj
    },
    children: () => suite.suites.map(s => fromSpans(c, s)),
  }
}

/** Reads a Playwright report whose top level was read (playwrightTopLevel), handing each test to `onResult` as it is read. */
export function streamPlaywrightTop(top: TopLevel, onResult: (r: ParsedResult) => void): ParsedReport {
  const { cursor, spans, suites } = top
  // not a Playwright report: decoded whole, so the refusal names its keys exactly as before (it has no tests to hold)
  if (!suites) return parsePlaywrightObject(JSON.parse(cursor.text))
  const member = (key: string) => {
    const span = spans.get(key)
    return span && cursor.value(span)
  }
  refuseWebdriverIo(member('capabilities'))
  const { tally, add } = resultTally()
  walkSuites(suites.map(s => fromSpans(cursor, s)), (r) => {
    add(r)
    onResult(r)
  })
  return reportTail({ stats: member('stats'), config: member('config'), errors: member('errors') }, tally)
}

/**
 * The top level of a Playwright report to stream, read without decoding the document, or null when it must be
 * parsed whole: not JSON (JSON.parse words the error), not an object, or not certainly Playwright by the rules of
 * detect.ts (CTRF, our own JSON and the unknown shapes are read as before). `what` names the report in the depth
 * refusal, as parseJson and sniffReport do.
 */
export function playwrightTopLevel(input: string, what: string, sniffing: boolean): TopLevel | null {
  const text = stripBom(input)
  assertNotEmpty(text)
  if (text[text.search(/\S/)] !== '{') return null
  assertJsonDepth(text, what)
  const top = readJson(text, readTopLevel)
  if (!top || !sniffing) return top
  const first = (key: string) => {
    const span = top.spans.get(key)
    return span ? text[span.start] : undefined
  }
  const decoded = (key: string) => {
    const span = top.spans.get(key)
    return span && first(key) === '"' ? top.cursor.value(span) as string : undefined
  }
  if (decoded('format') === 'proofdeck' || first('results') === '{' || decoded('reportFormat')?.toUpperCase() === 'CTRF') return null
  return first('suites') === '[' || first('config') === '{' || first('stats') === '{' ? top : null
}
