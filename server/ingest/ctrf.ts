import type { TestStatus } from '../../shared/constants'
import { CAPS, asArray, attempt, capText, isObject, isoOrNull, numberOrNull, parseJson, result, str } from './common'
import { ReportParseError, type ParsedAttempt, type ParsedReport, type ParsedResult } from './types'

type Obj = Record<string, unknown>

const STATUS: Record<string, TestStatus> = { passed: 'passed', failed: 'failed', skipped: 'skipped', pending: 'skipped', other: 'errored' }

const lines = (v: unknown): string | null => capText(Array.isArray(v) ? v.map(String).join('\n') : str(v), CAPS.output)

function variantOf(t: Obj): string | null {
  if (str(t.browser)) return str(t.browser)
  if (isObject(t.parameters) && Object.keys(t.parameters).length) {
    return Object.entries(t.parameters).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(',')
  }
  return null
}

function parseTest(t: Obj): ParsedResult {
  const status = STATUS[str(t.status) ?? ''] ?? 'errored'
  const retries = asArray(t.retryAttempts).filter(isObject)
    .sort((a, b) => (numberOrNull(a.attempt) ?? 0) - (numberOrNull(b.attempt) ?? 0))
    .map(r => attempt(STATUS[str(r.status) ?? ''] ?? 'failed', {
      durationMs: numberOrNull(r.duration), startedAt: isoOrNull(r.start), errorMessage: capText(str(r.message), CAPS.message),
      errorStack: capText(str(r.trace), CAPS.stack), stdout: lines(r.stdout), stderr: lines(r.stderr),
    }))
  const flaky = status === 'passed' && t.flaky === true
  const retryCount = numberOrNull(t.retries) ?? 0
  // `retries` without `retryAttempts`: the failed tries are known to exist but not what they said. They are
  // synthesised only when the report itself calls the test flaky or failed, so a pass is never turned into a flake.
  if (!retries.length && retryCount > 0 && (flaky || status === 'failed')) {
    for (let i = 0; i < retryCount; i++) retries.push(attempt('failed'))
  }
  const message = capText(str(t.message), CAPS.message)
  const stack = capText(str(t.trace), CAPS.stack)
  const final = attempt(status, {
    durationMs: numberOrNull(t.duration), startedAt: isoOrNull(t.start),
    errorMessage: status === 'passed' ? null : message, errorStack: status === 'passed' ? null : stack,
  })
  const attempts: ParsedAttempt[] = [...retries, final]
  const lastFailure = [...attempts].reverse().find(a => a.errorMessage || a.errorStack)
  const suite = Array.isArray(t.suite) ? t.suite.map(String) : str(t.suite) ? str(t.suite)!.split(/\s*[>›]\s*/).filter(Boolean) : []
  return result({
    title: str(t.name) ?? '',
    status,
    flaky,
    attempts,
    durationMs: numberOrNull(t.duration),
    file: str(t.filePath) ?? str(t.filepath),
    line: numberOrNull(t.line),
    suitePath: suite,
    variant: variantOf(t),
    errorMessage: lastFailure?.errorMessage ?? message,
    errorStack: lastFailure?.errorStack ?? stack,
    stdout: lines(t.stdout),
    stderr: lines(t.stderr),
    steps: asArray(t.steps).filter(isObject).map(s => ({ title: str(s.name) ?? '', durationMs: numberOrNull(s.duration), status: STATUS[str(s.status) ?? ''] ?? 'passed', error: null })),
    attachments: asArray(t.attachments).filter(isObject).map(a => ({ name: str(a.name) ?? 'attachment', contentType: str(a.contentType), path: str(a.path) })),
    tags: asArray(t.tags).map(str).filter((x): x is string => !!x),
  })
}

/** Parses an already-decoded CTRF report. The summary block is ignored: counts come from tests[]. */
export function parseCtrfObject(doc: unknown): ParsedReport {
  const res = isObject(doc) && isObject(doc.results) ? doc.results : null
  if (!res || !Array.isArray(res.tests)) {
    throw new ReportParseError('This JSON is not a CTRF report: it has no "results.tests" array.', { code: 'not_ctrf' })
  }
  const tool = isObject(res.tool) ? [str(res.tool.name), str(res.tool.version)].filter(Boolean).join(' ') || null : null
  const summary = isObject(res.summary) ? res.summary : {}
  const env = isObject(res.environment) ? res.environment : {}
  const start = numberOrNull(summary.start)
  const stop = numberOrNull(summary.stop)
  const metadata: ParsedReport['metadata'] = {}
  if (str(env.branchName)) metadata.branch = str(env.branchName)!
  if (str(env.commit) && /^[0-9a-f]{7,64}$/i.test(str(env.commit)!)) metadata.commit = str(env.commit)!
  if (str(env.buildUrl)) metadata.buildUrl = str(env.buildUrl)!
  if (str(env.testEnvironment)) metadata.environment = str(env.testEnvironment)!
  return {
    format: 'ctrf', tool, startedAt: start ? isoOrNull(start) : null, durationMs: start && stop && stop >= start ? stop - start : null,
    results: res.tests.filter(isObject).map(parseTest), errors: [], stdout: null, stderr: null, metadata, warnings: [],
  }
}

export function parseCtrf(text: string): ParsedReport {
  return parseCtrfObject(parseJson(text, 'CTRF report'))
}
