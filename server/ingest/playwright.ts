import type { TestStatus } from '../../shared/constants'
import { CAPS, asArray, attempt, capText, isObject, isoOrNull, numberOrNull, parseJson, result, str } from './common'
import { ReportParseError, type ParsedAttempt, type ParsedReport, type ParsedResult, type ParsedStep } from './types'

type Obj = Record<string, unknown>

const ATTEMPT_STATUS: Record<string, TestStatus> = { passed: 'passed', failed: 'failed', timedOut: 'failed', interrupted: 'failed', skipped: 'skipped' }

function output(chunks: unknown): string | null {
  const parts = asArray(chunks).map((c) => {
    if (typeof c === 'string') return c
    if (isObject(c) && typeof c.text === 'string') return c.text
    if (isObject(c) && typeof c.buffer === 'string') return Buffer.from(c.buffer, 'base64').toString('utf8')
    return ''
  })
  return capText(parts.join(''), CAPS.output)
}

function errorOf(r: Obj): { message: string | null, stack: string | null } {
  const e = (isObject(r.error) ? r.error : asArray(r.errors).find(isObject)) as Obj | undefined
  if (!e) return { message: null, stack: null }
  return { message: capText(str(e.message) ?? str(e.value), CAPS.message), stack: capText(str(e.stack), CAPS.stack) }
}

function steps(list: unknown): ParsedStep[] {
  return asArray(list).filter(isObject).map((s) => {
    const err = isObject(s.error) ? str(s.error.message) : null
    const nested = steps(s.steps)
    return {
      title: str(s.title) ?? '', durationMs: numberOrNull(s.duration), status: err ? 'failed' : 'passed', error: capText(err, CAPS.message),
      ...(nested.length ? { steps: nested } : {}),
    }
  })
}

function parseTest(spec: Obj, test: Obj, suitePath: string[], file: string | null): ParsedResult {
  const runs = asArray(test.results).filter(isObject)
  const attempts: ParsedAttempt[] = runs.map((r) => {
    const e = errorOf(r)
    return attempt(ATTEMPT_STATUS[str(r.status) ?? ''] ?? 'failed', {
      durationMs: numberOrNull(r.duration), startedAt: isoOrNull(r.startTime), errorMessage: e.message, errorStack: e.stack,
      stdout: output(r.stdout), stderr: output(r.stderr),
    })
  })
  const outcome = str(test.status)
  let status: TestStatus
  if (outcome === 'expected' || outcome === 'flaky') status = str(test.expectedStatus) === 'skipped' ? 'skipped' : 'passed'
  else if (outcome === 'unexpected') status = 'failed'
  else if (outcome === 'skipped') status = 'skipped'
  else status = attempts[attempts.length - 1]?.status ?? 'skipped'
  if (!attempts.length) attempts.push(attempt(status))
  const lastFailure = [...attempts].reverse().find(a => a.status === 'failed')
  const final = runs[runs.length - 1]
  const annotations = [...asArray(test.annotations), ...asArray(final?.annotations)].filter(isObject)
    .map(a => ({ type: str(a.type) ?? 'note', description: str(a.description) }))
  return result({
    title: str(spec.title) ?? '',
    status,
    flaky: outcome === 'flaky' && status === 'passed',
    attempts,
    durationMs: attempts.reduce<number | null>((sum, a) => a.durationMs == null ? sum : (sum ?? 0) + a.durationMs, null),
    file: str(spec.file) ?? file,
    line: numberOrNull(spec.line),
    suitePath,
    variant: str(test.projectName) || str(test.projectId) || null,
    errorMessage: lastFailure?.errorMessage ?? null,
    errorStack: lastFailure?.errorStack ?? null,
    stdout: capText(attempts.map(a => a.stdout).filter(Boolean).join('\n'), CAPS.output),
    stderr: capText(attempts.map(a => a.stderr).filter(Boolean).join('\n'), CAPS.output),
    steps: steps(final?.steps),
    annotations,
    attachments: runs.flatMap(r => asArray(r.attachments)).filter(isObject)
      .map(a => ({ name: str(a.name) ?? 'attachment', contentType: str(a.contentType), path: str(a.path) })),
    tags: asArray(spec.tags).map(str).filter((t): t is string => !!t),
  })
}

/** Parses an already-decoded Playwright JSON report (`--reporter=json`). */
export function parsePlaywrightObject(doc: unknown): ParsedReport {
  if (!isObject(doc) || !Array.isArray(doc.suites)) {
    throw new ReportParseError('This JSON is not a Playwright report: it has no top-level "suites" array.', { code: 'not_playwright' })
  }
  const results: ParsedResult[] = []
  const walk = (suite: Obj, path: string[], depth: number) => {
    const file = str(suite.file)
    const title = str(suite.title) ?? ''
    // Top-level suites are files; their title is the file path, which is already the test's `file`.
    const here = depth === 0 && (title === file || !title) ? path : [...path, title]
    for (const spec of asArray(suite.specs).filter(isObject)) {
      for (const test of asArray(spec.tests).filter(isObject)) results.push(parseTest(spec, test, here, file))
    }
    for (const child of asArray(suite.suites).filter(isObject)) walk(child, here, depth + 1)
  }
  for (const suite of doc.suites.filter(isObject)) walk(suite, [], 0)
  const stats = isObject(doc.stats) ? doc.stats : {}
  const config = isObject(doc.config) ? doc.config : {}
  const errors = asArray(doc.errors).filter(isObject).map(e => ({
    message: capText(str(e.message) ?? str(e.value) ?? 'error outside any test', CAPS.message)!,
    stack: capText(str(e.stack), CAPS.stack),
  }))
  return {
    format: 'playwright', tool: str(config.version) ? `playwright ${str(config.version)}` : 'playwright',
    startedAt: isoOrNull(stats.startTime), durationMs: numberOrNull(stats.duration) == null ? null : Math.round(numberOrNull(stats.duration)!),
    results, errors, stdout: null, stderr: null, metadata: {}, warnings: [],
  }
}

export function parsePlaywright(text: string): ParsedReport {
  return parsePlaywrightObject(parseJson(text, 'Playwright report'))
}
