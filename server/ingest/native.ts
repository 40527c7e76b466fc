import { z } from 'zod'
import { TEST_STATUSES } from '#shared/constants'
import { CAPS, capText, isObject, isoOrNull, keyOf, lastError, parseJson, readDate, result, testTitle } from './common'
import { FIELD_CAPS, MAX_NESTING, assertSuiteDepth, note } from './limits'
import { ReportParseError, type ParsedAttempt, type ParsedReport, type ParsedResult, type ParsedStep } from './types'

/*
 * Proofdeck's own JSON: `{ "format": "proofdeck", "version": 1, ... }`, the normalised run shape (ParsedReport) for
 * tools that write it directly. Only `results[].title` and `results[].status` are required; everything else has a
 * default. Texts are capped like every other format's; dates are ISO 8601 strings or epoch milliseconds.
 */

const status = z.enum(TEST_STATUSES)
/** Optional text: null/undefined/"" → null, long → capped. */
const text = (max: number) => z.string().nullish().transform(v => capText(v, max))
const ms = z.number().nonnegative().nullish().transform(v => v ?? null)
/** A name-like string, capped (NUL and lone surrogates cleaned); blank → null. */
const name = (max: number) => z.string().nullish().transform(v => capText(v, max))
const date = (where: string) => z.union([z.string(), z.number()]).nullish().transform((v, ctx) => {
  if (v == null) return null
  if (!readDate(v)) ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 date or epoch milliseconds' })
  return isoOrNull(v, where) // after 9999: absent, and noted
})

const attemptSchema = z.object({
  status,
  durationMs: ms,
  errorMessage: text(CAPS.message),
  errorStack: text(CAPS.stack),
  startedAt: date('results[].attempts[].startedAt'),
  stdout: text(CAPS.output),
  stderr: text(CAPS.output),
})

interface StepIn { title: string, durationMs: number | null, status: ParsedStep['status'], error: string | null, steps?: StepIn[] | undefined }
const stepSchema: z.ZodType<StepIn, unknown> = z.object({
  title: z.string(),
  durationMs: ms,
  status: status.default('passed'),
  error: text(CAPS.short),
  get steps() {
    return z.array(stepSchema).optional()
  },
})

const resultSchema = z.object({
  title: z.string().min(1).transform(v => testTitle(v)),
  status,
  suitePath: z.array(z.string()).default([]),
  file: name(FIELD_CAPS.file),
  line: z.number().int().positive().nullish().transform(v => v ?? null),
  variant: name(FIELD_CAPS.variant),
  flaky: z.boolean().default(false),
  durationMs: ms,
  attempts: z.array(attemptSchema).optional(),
  errorMessage: text(CAPS.message),
  errorStack: text(CAPS.stack),
  stdout: text(CAPS.output),
  stderr: text(CAPS.output),
  steps: z.array(stepSchema).default([]),
  annotations: z.array(z.object({ type: z.string().transform(v => capText(v, FIELD_CAPS.type) ?? 'note'), description: text(CAPS.short) })).default([]),
  attachments: z.array(z.object({
    name: z.string().transform(v => capText(v, FIELD_CAPS.file) ?? 'attachment'),
    contentType: name(FIELD_CAPS.type),
    path: name(FIELD_CAPS.file),
    /** the try (1-based) that wrote it */
    attempt: z.number().int().positive().max(1000).optional(),
  })).default([]),
  tags: z.array(z.string().transform(v => capText(v, FIELD_CAPS.tag))).default([]),
  properties: z.record(z.string(), z.string()).default({}),
})

/** Proofdeck JSON, version 1. Unknown keys are ignored. */
const nativeReportSchema = z.object({
  format: z.literal('proofdeck'),
  version: z.literal(1),
  tool: name(FIELD_CAPS.tool),
  startedAt: date('startedAt'),
  durationMs: ms,
  results: z.array(resultSchema),
  errors: z.array(z.object({ message: z.string().min(1).transform(v => capText(v, CAPS.message) ?? '(no message)'), stack: text(CAPS.stack) })).default([]),
  stdout: text(CAPS.output),
  stderr: text(CAPS.output),
  metadata: z.object({
    branch: z.string(), commit: z.string(), commitMessage: z.string(), buildUrl: z.string(), environment: z.string(), shard: z.string(),
  }).partial().default({}),
})

const stripSteps = (steps: StepIn[]): ParsedStep[] => steps.map(s => ({
  title: capText(s.title, FIELD_CAPS.step) ?? '', durationMs: s.durationMs, status: s.status, error: s.error, ...(s.steps?.length ? { steps: stripSteps(s.steps) } : {}),
}))

/** What a report's results needed fixing, counted for its warnings. */
interface Fixes { relabelled: number, unflagged: number }

/** One validated result in the normalised shape: the last attempt carries the result's status, only a pass is flaky. */
function toResult(x: z.output<typeof resultSchema>, fixes: Fixes): ParsedResult {
  let attempts: ParsedAttempt[] = x.attempts?.length
    ? x.attempts.map(a => ({ ...a }))
    : [{
        status: x.status, durationMs: x.durationMs, errorMessage: x.errorMessage, errorStack: x.errorStack,
        startedAt: null, stdout: x.stdout, stderr: x.stderr,
      }]
  const last = attempts[attempts.length - 1]!
  if (last.status !== x.status) {
    fixes.relabelled++
    attempts = [...attempts.slice(0, -1), { ...last, status: x.status }]
  }
  if (x.flaky && x.status !== 'passed') fixes.unflagged++
  const fallback = lastError(attempts)
  return result({
    title: x.title.title,
    titleHash: x.title.titleHash,
    status: x.status,
    flaky: x.flaky && x.status === 'passed',
    attempts,
    durationMs: x.durationMs,
    file: x.file,
    line: x.line,
    suitePath: suitePathOf(x.suitePath),
    variant: x.variant,
    errorMessage: x.errorMessage ?? fallback.errorMessage,
    errorStack: x.errorStack ?? fallback.errorStack,
    stdout: x.stdout,
    stderr: x.stderr,
    steps: stripSteps(x.steps),
    annotations: x.annotations,
    attachments: x.attachments,
    tags: [...new Set(x.tags.filter((t): t is string => !!t))],
    properties: propertiesOf(x.properties),
  })
}

function suitePathOf(path: string[]): string[] {
  assertSuiteDepth(path.length, 'Proofdeck JSON report', path)
  return path.map(s => capText(s, FIELD_CAPS.suite) ?? '')
}

/** Property names cleaned and capped like every key, values like every short text. */
function propertiesOf(raw: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw)) {
    const key = keyOf(k)
    if (key) out[key] = capText(v, CAPS.short) ?? ''
  }
  return out
}

/**
 * Steps cut at MAX_NESTING levels before zod sees them: its recursive schema would overflow the stack on a deep
 * tree (1,000 levels), and no report nests steps that deep. The input is copied where it is cut, never changed.
 */
function pruneSteps(list: unknown, depth: number): unknown {
  if (!Array.isArray(list)) return list
  if (depth > MAX_NESTING) {
    if (list.length) note('steps', `steps nested deeper than ${MAX_NESTING} levels were dropped`)
    return undefined
  }
  return list.map(s => isObject(s) && Array.isArray(s.steps) ? { ...s, steps: pruneSteps(s.steps, depth + 1) } : s)
}

function pruned(doc: unknown): unknown {
  if (!isObject(doc) || !Array.isArray(doc.results)) return doc
  return { ...doc, results: doc.results.map(r => isObject(r) && Array.isArray(r.steps) ? { ...r, steps: pruneSteps(r.steps, 0) } : r) }
}

/** Validates an already-decoded Proofdeck JSON report. */
export function parseNativeObject(doc: unknown): ParsedReport {
  if (isObject(doc) && doc.format === 'proofdeck' && doc.version !== 1) {
    throw new ReportParseError(`This Proofdeck JSON report has version ${JSON.stringify(doc.version ?? null)}; this server reads version 1.`, { code: 'invalid_native_report' })
  }
  const r = nativeReportSchema.safeParse(pruned(doc))
  if (!r.success) {
    const issue = r.error.issues[0]!
    const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem${r.error.issues.length > 2 ? 's' : ''})` : ''
    throw new ReportParseError(`This Proofdeck JSON report is invalid at ${issue.path.join('.') || 'the top level'}: ${issue.message.replace(/\.$/, '')}${more}.`, { code: 'invalid_native_report' })
  }
  const d = r.data
  const warnings: string[] = []
  const fixes: Fixes = { relabelled: 0, unflagged: 0 }
  const results = d.results.map(x => toResult(x, fixes))
  const { relabelled, unflagged } = fixes
  if (relabelled) warnings.push(`${relabelled} result${relabelled === 1 ? '\'s' : 's\''} last attempt had a status other than the result's; the result's status was used.`)
  if (unflagged) warnings.push(`${unflagged} result${unflagged === 1 ? ' was' : 's were'} marked flaky without having passed; only a passing test can be flaky, so the flag was dropped.`)
  return {
    format: 'proofdeck',
    tool: d.tool,
    startedAt: d.startedAt,
    durationMs: d.durationMs,
    results,
    errors: d.errors,
    stdout: d.stdout,
    stderr: d.stderr,
    metadata: d.metadata,
    warnings,
  }
}

export function parseNative(text: string): ParsedReport {
  return parseNativeObject(parseJson(text, 'Proofdeck JSON report'))
}
