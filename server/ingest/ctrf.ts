import type { TestStatus } from '#shared/constants'
import {
  CAPS, asArray, attempt, capText, countBefore, field, isObject, isoOrNull, keyOf, lastError, lineOrNull, msOrNull, nonBlank, numberOrNull,
  objects, parseJson, result, str, testTitle, trimmedField,
} from './common'
import { testIdentity } from './merge'
import { FIELD_CAPS, MAX_NESTING, assertSuiteDepth, note } from './limits'
import { ReportParseError, type ParsedAttachment, type ParsedAttempt, type ParsedReport, type ParsedResult, type ParsedStep } from './types'

/*
 * CTRF (Common Test Report Format, https://ctrf.io) JSON. One result per results.tests[] entry; the summary block is
 * not trusted (it can contradict tests[]). Statuses: passed, failed, skipped, pending → skipped, other → errored.
 */

type Obj = Record<string, unknown>

const STATUS: Record<string, TestStatus> = { passed: 'passed', failed: 'failed', skipped: 'skipped', pending: 'skipped', other: 'errored' }
/** A status CTRF does not define is read as errored, and the receipt says so (once per value, counted). */
function statusOf(v: unknown): TestStatus {
  const known = STATUS[str(v)?.toLowerCase() ?? '']
  if (known) return known
  const shown = typeof v === 'string' ? `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"` : JSON.stringify(v)?.slice(0, 40) ?? String(v)
  note(`status ${shown}`, 'is not a CTRF status (passed, failed, skipped, pending, other): read as errored')
  return 'errored'
}

/** stdout/stderr: an array of lines (the spec) or a plain string. */
const lines = (v: unknown): string | null => capText(Array.isArray(v) ? v.map(x => str(x) ?? '').join('\n') : str(v), CAPS.output)

const scalar = (v: unknown): string => typeof v === 'string' ? v : JSON.stringify(v) ?? String(v)

/** `parameters` as a stable "k=v,k2=v2" (keys sorted), prefixed by the browser when the test names one. Capped. */
function variantOf(t: Obj): string | null {
  const params = isObject(t.parameters) && Object.keys(t.parameters).length
    ? Object.keys(t.parameters).sort().map(k => `${k}=${scalar((t.parameters as Obj)[k])}`).join(',')
    : null
  const browser = nonBlank(t.browser)
  return capText(browser && params ? `${browser} ${params}` : params ?? browser, FIELD_CAPS.variant)
}

/**
 * `suite` is an array of names or one string joined with " > ". Reporters put more than the enclosing suites in it:
 * the file (playwright-ctrf-json-reporter, jest) and sometimes the test's own name (vitest). Both are dropped.
 */
function suitePathOf(t: Obj, name: string, file: string | null): string[] {
  let parts: string[]
  if (Array.isArray(t.suite)) parts = t.suite.map(x => str(x)?.trim() ?? '').filter(Boolean)
  else {
    const s = str(t.suite)?.trim()
    if (!s) return []
    if (s === name) return s.includes(' > ') ? s.split(' > ').slice(0, -1).map(x => x.trim()).filter(Boolean) : []
    parts = s.split(' > ').map(x => x.trim()).filter(Boolean)
  }
  if (parts[parts.length - 1] === name) parts.pop()
  if (file) parts = parts.filter(p => !(p === file || file.endsWith(`/${p}`) || file.endsWith(`\\${p}`)))
  assertSuiteDepth(parts.length, 'CTRF report', parts)
  return parts.map(p => capText(p, FIELD_CAPS.suite)!)
}

function steps(list: unknown, depth = 0): ParsedStep[] {
  if (depth > MAX_NESTING) return []
  return objects(list).map((s) => {
    const nested = steps(s.steps, depth + 1)
    const step: ParsedStep = {
      title: field(s.name, FIELD_CAPS.step) ?? field(s.title, FIELD_CAPS.step) ?? '', durationMs: msOrNull(s.duration), status: s.status == null ? 'passed' : statusOf(s.status),
      error: capText(str(s.message), CAPS.short),
    }
    if (nested.length) step.steps = nested
    return step
  })
}

function parseTest(t: Obj): ParsedResult {
  const status = statusOf(t.status)
  const title = testTitle(str(t.name))
  const name = title.title
  const file = trimmedField(t.filePath, FIELD_CAPS.file) ?? trimmedField(t.filepath, FIELD_CAPS.file)
  const message = capText(str(t.message), CAPS.message)
  const stack = capText(str(t.trace), CAPS.stack)
  const stdout = lines(t.stdout)
  const stderr = lines(t.stderr)
  const durationMs = msOrNull(t.duration)
  const final = attempt(status, {
    durationMs, startedAt: isoOrNull(t.start, 'tests[].start'),
    errorMessage: status === 'passed' ? null : message, errorStack: status === 'passed' ? null : stack, stdout, stderr,
  })

  const retries = numberOrNull(t.retries)
  const tries = objects(t.retryAttempts)
    .map((r, i) => ({ r, n: numberOrNull(r.attempt) ?? i + 1 }))
    .sort((a, b) => a.n - b.n)
    .map(({ r }) => attempt(statusOf(r.status), {
      durationMs: msOrNull(r.duration), startedAt: isoOrNull(r.start, 'tests[].retryAttempts[].start'), errorMessage: capText(str(r.message), CAPS.message),
      errorStack: capText(str(r.trace), CAPS.stack), stdout: lines(r.stdout), stderr: lines(r.stderr),
    }))
  let attempts: ParsedAttempt[]
  const lastTry = tries[tries.length - 1]
  if (lastTry && lastTry.status === status && (retries == null || tries.length > retries)) {
    // retryAttempts already lists the final run (the spec examples do: retries 2, three attempts, the last passed):
    // it is the final attempt, completed with what the test itself says.
    attempts = [...tries.slice(0, -1), {
      ...lastTry, durationMs: lastTry.durationMs ?? final.durationMs, startedAt: lastTry.startedAt ?? final.startedAt,
      errorMessage: lastTry.errorMessage ?? final.errorMessage, errorStack: lastTry.errorStack ?? final.errorStack,
      stdout: lastTry.stdout ?? stdout, stderr: lastTry.stderr ?? stderr,
    }]
  }
  else if (tries.length) attempts = [...tries, final]
  else if (t.flaky === true && retries != null && retries > 0) {
    // `retries` without `retryAttempts`: the earlier tries are known to exist but not what they said. They are
    // synthesised (failed, no error) only when the report calls the test flaky, because that is the one case where
    // "retried" is known to mean "failed before": a passing test with retries > 0 and flaky: false is left with one
    // attempt rather than being turned into a flake the report does not claim (ai-test-reporter has one).
    attempts = [...Array.from({ length: Math.min(retries, 100) }, () => attempt('failed')), final]
  }
  else attempts = [final]

  const errs = lastError(attempts)
  return result({
    title: title.title, titleHash: title.titleHash,
    status,
    flaky: status === 'passed' && t.flaky === true,
    attempts,
    durationMs,
    file,
    line: lineOrNull(t.line),
    suitePath: suitePathOf(t, name, file),
    variant: variantOf(t),
    errorMessage: errs.errorMessage ?? (status === 'passed' ? null : message),
    errorStack: errs.errorStack ?? (status === 'passed' ? null : stack),
    stdout,
    stderr,
    steps: steps(t.steps),
    // the test's own files, then each retry attempt's (the CLI sends both, since it finds `attachments` at any depth)
    attachments: [
      ...objects(t.attachments).map(a => attachmentOf(a)),
      ...objects(t.retryAttempts).flatMap((r, i) => objects(r.attachments).map(a => attachmentOf(a, numberOrNull(r.attempt) ?? i + 1))),
    ],
    tags: [...new Set(asArray(t.tags).map(x => field(x, FIELD_CAPS.tag)).filter((x): x is string => !!x))],
    properties: labelsOf(t.labels),
  })
}

/** `labels` as properties: names cleaned and capped like every key, values like every short text. */
function labelsOf(labels: unknown): Record<string, string> {
  const properties: Record<string, string> = {}
  if (isObject(labels)) for (const [k, v] of Object.entries(labels)) if (v != null && keyOf(k)) properties[keyOf(k)] = capText(scalar(v), CAPS.short) ?? ''
  return properties
}

/** Parses an already-decoded CTRF report. */
export function parseCtrfObject(doc: unknown): ParsedReport {
  const res = isObject(doc) && isObject(doc.results) ? doc.results : null
  if (!res || !Array.isArray(res.tests)) {
    throw new ReportParseError(`This JSON is not a CTRF report: it has no "results.tests" array${res ? '' : ' (no top-level "results" object)'}.`, { code: 'not_ctrf' })
  }
  const tool = isObject(res.tool) ? capText([nonBlank(res.tool.name), nonBlank(res.tool.version)].filter(Boolean).join(' '), FIELD_CAPS.tool) : null
  const summary = isObject(res.summary) ? res.summary : {}
  const env = isObject(res.environment) ? res.environment : {}
  const start = numberOrNull(summary.start)
  const stop = numberOrNull(summary.stop)
  const warnings: string[] = []

  const metadata: ParsedReport['metadata'] = {}
  const branch = nonBlank(env.branchName) ?? nonBlank(env.branch)
  if (branch) metadata.branch = branch
  const commit = nonBlank(env.commit) ?? nonBlank(env.commitSha)
  if (commit && /^[0-9a-f]{7,64}$/i.test(commit)) metadata.commit = commit.toLowerCase()
  else if (commit) warnings.push(`environment.commit "${commit.slice(0, 80)}" is not a commit hash; it was ignored.`)
  const commitMessage = nonBlank(env.commitMessage)
  if (commitMessage) metadata.commitMessage = capText(commitMessage, CAPS.short)!
  const buildUrl = nonBlank(env.buildUrl)
  if (buildUrl) metadata.buildUrl = buildUrl
  const environment = nonBlank(env.testEnvironment)
  if (environment) metadata.environment = environment

  let durationMs = msOrNull(summary.duration)
  if (durationMs == null && start != null && stop != null && stop >= start) durationMs = start < 1e11 ? (stop - start) * 1000 : stop - start
  const tests = objects(res.tests)
  if (tests.length !== res.tests.length) warnings.push(`${res.tests.length - tests.length} entries of results.tests are not objects; they were ignored.`)
  const summaryOff = summaryDisagreement(summary, tests)
  if (summaryOff) warnings.push(`The report's summary disagrees with its tests (${summaryOff}); the tests were counted.`)
  // CTRF writes a test's retries inside its entry (retryAttempts): a test listed twice ran twice (Playwright's repeatEach)
  const seen = new Map<string, number>()
  const results = tests.map((t) => {
    const r = parseTest(t)
    const repeat = countBefore(seen, testIdentity(r))
    return repeat ? { ...r, repeat } : r
  })
  return {
    format: 'ctrf',
    tool,
    startedAt: isoOrNull(start, 'summary.start'),
    durationMs,
    results,
    errors: [],
    stdout: null,
    stderr: null,
    metadata,
    warnings,
  }
}

const SUMMARY_STATUSES = ['passed', 'failed', 'pending', 'skipped'] as const

/** Where the summary's counts (those it gives) differ from the tests' own statuses, said as "failed: summary 7, tests 5". */
function summaryDisagreement(summary: Obj, tests: Obj[]): string | null {
  const ours: Record<string, number> = { tests: tests.length, passed: 0, failed: 0, pending: 0, skipped: 0, other: 0 }
  for (const t of tests) {
    const s = str(t.status)?.toLowerCase()
    ours[SUMMARY_STATUSES.find(k => k === s) ?? 'other']!++
  }
  const off = Object.keys(ours).filter(k => typeof summary[k] === 'number' && summary[k] !== ours[k])
  return off.length ? off.map(k => `${k}: summary ${String(summary[k])}, tests ${ours[k]}`).join('; ') : null
}

export function parseCtrf(text: string): ParsedReport {
  return parseCtrfObject(parseJson(text, 'CTRF report'))
}

function attachmentOf(a: Record<string, unknown>, attempt?: number): ParsedAttachment {
  const parsed: ParsedAttachment = {
    name: field(a.name, FIELD_CAPS.file) ?? 'attachment', contentType: field(a.contentType, FIELD_CAPS.type), path: field(a.path, FIELD_CAPS.file),
  }
  return attempt === undefined ? parsed : { ...parsed, attempt }
}
