import { z } from 'zod'
import { TEST_STATUSES } from '../../shared/constants'
import { CAPS, capText, parseJson, result } from './common'
import { ReportParseError, type ParsedReport } from './types'

const status = z.enum(TEST_STATUSES)
const text = (max: number) => z.string().nullish().transform(v => capText(v, max))

const attemptSchema = z.object({
  status, durationMs: z.number().nonnegative().nullish(), errorMessage: text(CAPS.message), errorStack: text(CAPS.stack),
  startedAt: z.iso.datetime({ offset: true }).nullish(), stdout: text(CAPS.output), stderr: text(CAPS.output),
})

const stepSchema: z.ZodType<{ title: string, durationMs?: number | null, status?: string, error?: string | null, steps?: unknown[] }> = z.lazy(() => z.object({
  title: z.string(), durationMs: z.number().nullish(), status: status.optional(), error: z.string().nullish(), steps: z.array(stepSchema).optional(),
}))

const resultSchema = z.object({
  title: z.string(),
  suitePath: z.array(z.string()).default([]),
  file: z.string().nullish(),
  line: z.number().int().nullish(),
  variant: z.string().nullish(),
  status,
  flaky: z.boolean().default(false),
  durationMs: z.number().nonnegative().nullish(),
  attempts: z.array(attemptSchema).optional(),
  errorMessage: text(CAPS.message),
  errorStack: text(CAPS.stack),
  stdout: text(CAPS.output),
  stderr: text(CAPS.output),
  steps: z.array(stepSchema).default([]),
  annotations: z.array(z.object({ type: z.string(), description: z.string().nullish() })).default([]),
  attachments: z.array(z.object({ name: z.string(), contentType: z.string().nullish(), path: z.string().nullish() })).default([]),
  tags: z.array(z.string()).default([]),
  properties: z.record(z.string(), z.string()).default({}),
})

/** Proofdeck's own JSON: the normalised run shape, for tools that write it directly. */
export const nativeReportSchema = z.object({
  format: z.literal('proofdeck'),
  version: z.literal(1),
  tool: z.string().nullish(),
  startedAt: z.iso.datetime({ offset: true }).nullish(),
  durationMs: z.number().nonnegative().nullish(),
  results: z.array(resultSchema),
  errors: z.array(z.object({ message: z.string(), stack: z.string().nullish() })).default([]),
  metadata: z.object({ branch: z.string(), commit: z.string(), commitMessage: z.string(), buildUrl: z.string(), environment: z.string() }).partial().default({}),
})

export function parseNativeObject(doc: unknown): ParsedReport {
  const r = nativeReportSchema.safeParse(doc)
  if (!r.success) {
    const issue = r.error.issues[0]!
    throw new ReportParseError(`This Proofdeck JSON report is invalid at ${issue.path.join('.') || 'the top level'}: ${issue.message}.`, { code: 'invalid_native_report' })
  }
  const d = r.data
  return {
    format: 'proofdeck', tool: d.tool ?? null, startedAt: d.startedAt ?? null, durationMs: d.durationMs ?? null,
    errors: d.errors.map(e => ({ message: e.message, stack: e.stack ?? null })),
    stdout: null, stderr: null, metadata: d.metadata, warnings: [],
    results: d.results.map((x) => {
      const attempts = x.attempts?.length
        ? x.attempts.map(a => ({ status: a.status, durationMs: a.durationMs ?? null, errorMessage: a.errorMessage, errorStack: a.errorStack, startedAt: a.startedAt ?? null, stdout: a.stdout, stderr: a.stderr }))
        : [{ status: x.status, durationMs: x.durationMs ?? null, errorMessage: x.errorMessage, errorStack: x.errorStack, startedAt: null, stdout: null, stderr: null }]
      return result({
        ...x, file: x.file ?? null, line: x.line ?? null, variant: x.variant ?? null, durationMs: x.durationMs ?? null, attempts,
        flaky: x.flaky && x.status === 'passed',
        steps: x.steps as ParsedReport['results'][number]['steps'],
        annotations: x.annotations.map(a => ({ type: a.type, description: a.description ?? null })),
        attachments: x.attachments.map(a => ({ name: a.name, contentType: a.contentType ?? null, path: a.path ?? null })),
      })
    }),
  }
}

export function parseNative(text: string): ParsedReport {
  return parseNativeObject(parseJson(text, 'Proofdeck report'))
}
