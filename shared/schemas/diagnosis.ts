import { z } from 'zod'
import { FAILURE_CATEGORIES } from '../constants'

export const diagnosisParamsSchema = z.object({ diagnosisId: z.uuid('That is not a diagnosis id.') })

/** Size budget of a context bundle, in tokens (default 6,000). */
export const contextQuerySchema = z.object({
  budget: z.coerce.number().int().min(1000, 'The budget is at least 1000 tokens.').max(32_000, 'The budget is at most 32000 tokens.').optional(),
})
export type ContextQuery = z.infer<typeof contextQuerySchema>

export const diagnosisFeedbackBodySchema = z.object({
  helpful: z.boolean({ error: 'Say whether the diagnosis was helpful: {"helpful": true} or {"helpful": false}.' }),
  note: z.string().trim().max(2000, 'Keep the note under 2000 characters.').optional().transform(v => v || undefined),
})
export type DiagnosisFeedbackBody = z.infer<typeof diagnosisFeedbackBodySchema>

const price = z.number().min(0, 'A price cannot be negative.').max(10_000, 'That price per million tokens is implausible.').nullable().optional()

/**
 * `PUT /api/settings/ai`. `apiKey`: a new key to store (encrypted), `null` to forget the stored one, absent to keep it.
 * `provider: null` turns the LLM off (the rule engine always runs).
 */
export const aiSettingsBodySchema = z.object({
  provider: z.enum(['openai', 'anthropic'], { message: 'The provider is "openai" (any OpenAI-compatible server) or "anthropic".' }).nullable(),
  baseUrl: z.url({ protocol: /^https?$/, message: 'The base URL must be an http(s) URL.' }).max(500).nullable().optional(),
  model: z.string().trim().min(1, 'Name the model, e.g. gpt-4o-mini or claude-sonnet-4-5.').max(200).nullable().optional(),
  apiKey: z.string().trim().min(8, 'That API key is too short.').max(500).nullable().optional(),
  priceInputPerMtok: price,
  priceOutputPerMtok: price,
}).refine(v => v.provider === null || !!v.model, { message: 'Name the model, e.g. gpt-4o-mini or claude-sonnet-4-5.', path: ['model'] })
export type AiSettingsBody = z.infer<typeof aiSettingsBodySchema>

export const usageQuerySchema = z.object({
  days: z.coerce.number().int().min(1).max(366, 'At most 366 days.').optional().default(30),
})
export type UsageQuery = z.infer<typeof usageQuerySchema>

/** What an LLM must answer: validated before anything is stored. */
export const llmDiagnosisSchema = z.object({
  category: z.enum(FAILURE_CATEGORIES),
  summary: z.string().trim().min(1).max(600),
  rootCause: z.string().trim().min(1).max(4000),
  evidence: z.array(z.object({
    runId: z.string().trim().min(1),
    resultId: z.string().trim().min(1).nullable().optional().transform(v => v ?? null),
    quote: z.string().trim().min(1).max(1000),
    why: z.string().trim().min(1).max(1000),
  })).min(1).max(12),
  suggestedFix: z.string().trim().min(1).max(4000),
  investigationSteps: z.array(z.string().trim().min(1).max(1000)).min(1).max(12),
  confidence: z.number().min(0).max(1),
})
export type LlmDiagnosis = z.infer<typeof llmDiagnosisSchema>
