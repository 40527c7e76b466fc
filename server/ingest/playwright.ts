import type { TestStatus } from '#shared/constants'
import {
  CAPS, asArray, attempt, capText, countBefore, field, isObject, isoOrNull, lastError, lineOrNull, msOrNull, objects, parseJson, result,
  str, testTitle, trimmedField,
} from './common'
import { FIELD_CAPS, MAX_NESTING, assertSuiteDepth } from './limits'
import { ReportParseError, type ParsedAnnotation, type ParsedAttempt, type ParsedReport, type ParsedResult, type ParsedStep } from './types'

/*
 * Playwright's JSON reporter (`--reporter=json`, also what `merge-reports --reporter=json` writes).
 * One result per suites[…].specs[].tests[] entry (spec × project × repeatEach); each results[] entry is an attempt.
 * Status follows test.status: expected → passed, flaky → passed + flaky, unexpected → failed, skipped → skipped.
 * Error texts are kept raw (ANSI included): fingerprinting strips them later. Attachment bodies are never kept.
 */

type Obj = Record<string, unknown>

/**
 * An attempt's status, relative to what the test expected: with `test.fail()` (expectedStatus "failed") a failing
 * run is the good outcome. For ordinary tests this is passed → passed, failed/timedOut/interrupted → failed.
 */
function attemptStatus(raw: string | null, expected: string): TestStatus {
  if (raw === 'skipped') return 'skipped'
  if (raw == null) return 'failed'
  return raw === expected ? 'passed' : 'failed'
}

/** stdout/stderr chunks: `{ text }` or `{ buffer }` (base64), written as they came, so joined without separators. */
function output(chunks: unknown): string | null {
  if (!Array.isArray(chunks) || !chunks.length) return null
  let s = ''
  for (const c of chunks) {
    if (typeof c === 'string') s += c
    else if (isObject(c) && typeof c.text === 'string') s += c.text
    else if (isObject(c) && typeof c.buffer === 'string') s += Buffer.from(c.buffer, 'base64').toString('utf8')
  }
  return capText(s, CAPS.output)
}

/** The error of one run: `error`, else the first of `errors` (soft assertions write several). */
function errorOf(r: Obj): { message: string | null, stack: string | null } {
  const e = isObject(r.error) ? r.error : objects(r.errors)[0]
  if (!e) return { message: null, stack: null }
  const message = str(e.message) ?? str(e.value)
  return { message: capText(message, CAPS.message), stack: capText(str(e.stack), CAPS.stack) }
}

function steps(list: unknown, depth = 0): ParsedStep[] {
  if (depth > MAX_NESTING) return []
  return objects(list).map((s) => {
    const err = isObject(s.error) ? str(s.error.message) ?? str(s.error.value) : null
    const nested = steps(s.steps, depth + 1)
    const step: ParsedStep = { title: field(s.title, FIELD_CAPS.step) ?? '', durationMs: msOrNull(s.duration), status: err ? 'failed' : 'passed', error: capText(err, CAPS.short) }
    if (nested.length) step.steps = nested
    return step
  })
}

function annotations(lists: unknown[]): ParsedAnnotation[] {
  const seen = new Set<string>()
  const out: ParsedAnnotation[] = []
  for (const a of lists.flatMap(objects)) {
    const type = field(a.type, FIELD_CAPS.type) ?? 'note'
    const description = capText(str(a.description), CAPS.short)
    const key = `${type}\u0000${description ?? ''}`
    if (seen.has(key)) continue // Playwright ≥1.50 repeats test annotations on every result
    seen.add(key)
    out.push({ type, description })
  }
  return out
}

function parseTest(spec: Obj, test: Obj, suitePath: string[], suiteFile: string | null): ParsedResult {
  const expected = str(test.expectedStatus) ?? 'passed'
  const runs = objects(test.results)
  const attempts: ParsedAttempt[] = runs.map((r) => {
    const e = errorOf(r)
    return attempt(attemptStatus(str(r.status), expected), {
      durationMs: msOrNull(r.duration), startedAt: isoOrNull(r.startTime, 'results[].startTime'), errorMessage: e.message, errorStack: e.stack,
      stdout: output(r.stdout), stderr: output(r.stderr),
    })
  })
  const outcome = str(test.status)
  let status: TestStatus
  if (outcome === 'expected' || outcome === 'flaky') status = expected === 'skipped' ? 'skipped' : 'passed'
  else if (outcome === 'unexpected') status = 'failed'
  else if (outcome === 'skipped') status = 'skipped'
  else status = attempts[attempts.length - 1]?.status ?? 'skipped' // no status (very old reports): the last run decides
  if (!attempts.length) attempts.push(attempt(status)) // never ran (maxFailures, interruption): one empty attempt
  const last = attempts[attempts.length - 1]!
  if (last.status !== status) attempts[attempts.length - 1] = { ...last, status }

  const final = runs[runs.length - 1]
  const join = (k: 'stdout' | 'stderr') => capText(attempts.map(a => a[k]).filter(Boolean).join('\n'), CAPS.output)
  const named = testTitle(str(spec.title))
  const error = lastError(attempts)
  return result({
    title: named.title,
    titleHash: named.titleHash,
    status,
    flaky: outcome === 'flaky' && status === 'passed',
    attempts,
    durationMs: attempts.reduce<number | null>((sum, a) => a.durationMs == null ? sum : (sum ?? 0) + a.durationMs, null),
    file: trimmedField(spec.file, FIELD_CAPS.file) ?? suiteFile,
    line: lineOrNull(spec.line),
    suitePath,
    variant: trimmedField(test.projectName, FIELD_CAPS.variant) ?? trimmedField(test.projectId, FIELD_CAPS.variant),
    errorMessage: error.errorMessage,
    errorStack: error.errorStack,
    stdout: join('stdout'),
    stderr: join('stderr'),
    steps: steps(final?.steps),
    annotations: annotations([test.annotations, ...runs.map(r => r.annotations)]),
    attachments: runs.flatMap((r, i) => objects(r.attachments).map(a => ({
      name: field(a.name, FIELD_CAPS.file) ?? 'attachment', contentType: field(a.contentType, FIELD_CAPS.type),
      path: field(a.path, FIELD_CAPS.file), attempt: i + 1, // never `body`
    }))),
    tags: [...new Set(asArray(spec.tags).map(t => field(t, FIELD_CAPS.tag)).filter((t): t is string => !!t))],
  })
}

/** A suite as the walk reads it: from the decoded document, or from where its parts are in the text (playwright-stream.ts). */
export interface SuiteSource {
  title: unknown
  file: unknown
  /** Its specs (objects only), decoded one at a time. */
  specs: () => Iterable<Obj>
  /** Its child suites (objects only). */
  children: () => SuiteSource[]
}

const fromObject = (suite: Obj): SuiteSource => ({
  title: suite.title, file: suite.file, specs: () => objects(suite.specs), children: () => objects(suite.suites).map(fromObject),
})

/**
 * Every test of the suites, depth first (a suite's own specs, then its child suites in order), each handed to `emit`
 * as it is read. Iterative (a pathological nesting depth cannot overflow the stack); past MAX_NESTING levels the
 * report is refused, so copying the path at each level stays linear in the size of the report.
 */
export function walkSuites(roots: SuiteSource[], emit: (r: ParsedResult) => void): void {
  const queue = roots.map(suite => ({ suite, path: [] as string[], file: null as string | null, level: 1 })).reverse()
  while (queue.length) {
    const { suite, path, file: parentFile, level } = queue.pop()!
    assertSuiteDepth(level, 'Playwright report', path)
    const file = trimmedField(suite.file, FIELD_CAPS.file) ?? parentFile
    const raw = str(suite.title) ?? ''
    // File-level suites are titled with the file path, already the test's `file`; describe() blocks are not.
    const here = !raw.trim() || raw === file || raw === suite.file ? path : [...path, field(raw, FIELD_CAPS.suite)!]
    for (const spec of suite.specs()) {
      // repeatEach writes a spec's test once per repetition, each under the same project: repetitions, not retries
      const runs = new Map<string, number>()
      for (const test of objects(spec.tests)) {
        const r = parseTest(spec, test, here, file)
        const repeat = countBefore(runs, r.variant ?? '')
        emit(repeat ? { ...r, repeat } : r)
      }
    }
    const children = suite.children()
    for (let i = children.length - 1; i >= 0; i--) queue.push({ suite: children[i]!, path: here, file, level: level + 1 })
  }
}

/** What the rest of the report needs from its results, counted as they go by: outcomes as its stats count them, the earliest start. */
export function resultTally() {
  const t = { expected: 0, unexpected: 0, flaky: 0, skipped: 0, earliest: null as string | null }
  const add = (r: ParsedResult) => {
    if (r.status === 'passed' && !r.flaky) t.expected++
    if (r.status === 'failed') t.unexpected++
    if (r.flaky) t.flaky++
    if (r.status === 'skipped') t.skipped++
    for (const a of r.attempts) if (a.startedAt && (t.earliest == null || a.startedAt < t.earliest)) t.earliest = a.startedAt
  }
  return { tally: t, add }
}

type Tally = ReturnType<typeof resultTally>['tally']

/**
 * WebdriverIO's JSON reporter writes a top-level "suites" too, of tests rather than specs, beside its "capabilities":
 * read as Playwright it would be a run without tests, so it is refused. `capabilities` is the top-level one, or undefined.
 */
export function refuseWebdriverIo(capabilities: unknown): void {
  if (!isObject(capabilities)) return
  throw new ReportParseError(
    'This JSON is a WebdriverIO JSON report (top-level "capabilities" and "suites" of tests), which Proofdeck does not read: '
    + 'upload the JUnit XML of WebdriverIO\'s JUnit reporter (@wdio/junit-reporter) instead. Proofdeck reads JUnit XML, Playwright JSON, CTRF JSON and Proofdeck JSON.',
    { code: 'unknown_format' },
  )
}

/** Refuses a document that is not a Playwright report, naming its top-level keys. */
function assertPlaywright(doc: unknown): asserts doc is Obj & { suites: unknown[] } {
  if (isObject(doc)) refuseWebdriverIo(doc.capabilities)
  if (!isObject(doc) || !Array.isArray(doc.suites)) {
    const keys = isObject(doc) ? Object.keys(doc).slice(0, 8).map(k => `"${k}"`).join(', ') : ''
    throw new ReportParseError(`This JSON is not a Playwright report: it has no top-level "suites" array${keys ? ` (its top-level keys are ${keys})` : ''}.`, { code: 'not_playwright' })
  }
}

/** Parses an already-decoded Playwright JSON report. */
export function parsePlaywrightObject(doc: unknown): ParsedReport {
  assertPlaywright(doc)
  const results: ParsedResult[] = []
  const { tally, add } = resultTally()
  walkSuites(objects(doc.suites).map(fromObject), (r) => {
    add(r)
    results.push(r)
  })
  return { ...reportTail({ stats: doc.stats, config: doc.config, errors: doc.errors }, tally), results }
}

/** The report around its results: tool, start, duration, run errors, and whether its own stats agree with its tests. */
export function reportTail(doc: { stats?: unknown, config?: unknown, errors?: unknown }, tally: Tally): ParsedReport {
  const stats = isObject(doc.stats) ? doc.stats : null
  const config = isObject(doc.config) ? doc.config : {}
  const errors = objects(doc.errors).map(e => ({
    message: capText(str(e.message) ?? str(e.value) ?? 'error outside any test', CAPS.message)!,
    stack: capText(str(e.stack), CAPS.stack),
  }))
  const warnings: string[] = []
  if (stats) {
    const ours = { expected: tally.expected, unexpected: tally.unexpected, flaky: tally.flaky, skipped: tally.skipped }
    const off = (Object.keys(ours) as (keyof typeof ours)[]).filter(k => typeof stats[k] === 'number' && stats[k] !== ours[k])
    if (off.length) warnings.push(`The report's own stats disagree with its tests (${off.map(k => `${k}: stats ${String(stats[k])}, tests ${ours[k]}`).join('; ')}); the tests were counted.`)
  }
  const version = trimmedField(config.version, FIELD_CAPS.tool)
  const duration = msOrNull(stats?.duration)
  // `npx playwright test --shard=2/4` writes {current: 2, total: 4}; without --shard, null
  const shard = isObject(config.shard) ? config.shard : null
  return {
    format: 'playwright',
    tool: version ? `playwright ${version}` : 'playwright',
    // Without a stats block (Playwright < 1.39 in some setups), the earliest attempt's start.
    startedAt: isoOrNull(stats?.startTime, 'stats.startTime') ?? tally.earliest,
    durationMs: duration == null ? null : Math.round(duration),
    results: [],
    errors,
    stdout: null,
    stderr: null,
    metadata: shard ? { shard: `${String(shard.current)}/${String(shard.total)}` } : {},
    warnings,
  }
}

export function parsePlaywright(text: string): ParsedReport {
  return parsePlaywrightObject(parseJson(text, 'Playwright report'))
}
