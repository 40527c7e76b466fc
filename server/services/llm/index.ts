import { parseLlmDiagnosis, SYSTEM_PROMPT, userPrompt } from '../../analysis/diagnosis-prompt'
import type { LlmDiagnosis } from '#shared/schemas/diagnosis'
import type { ClusterContext } from '#shared/types/diagnosis'
import { anthropicComplete } from './anthropic'
import { estimateCost, type LlmConfig } from './config'
import { LlmError, safeMessage, type LlmCompletion, type LlmPrompt } from './http'
import { openaiComplete } from './openai'

export type { LlmConfig } from './config'

export interface LlmUsage {
  model: string
  inputTokens: number | null
  outputTokens: number | null
  costUsd: number | null
  latencyMs: number
}

export type LlmOutcome = ({ ok: true, diagnosis: LlmDiagnosis } | { ok: false, error: string }) & LlmUsage

/** One completion from the configured provider. */
export function complete(config: LlmConfig, prompt: LlmPrompt): Promise<LlmCompletion> {
  return config.provider === 'anthropic' ? anthropicComplete(config, prompt) : openaiComplete(config, prompt)
}

/**
 * Asks the configured model to diagnose a context bundle and validates the answer. Never throws: a provider error
 * or an invalid answer comes back as `ok: false` with a safe message and whatever usage was reported.
 */
export async function requestLlmDiagnosis(config: LlmConfig, context: ClusterContext): Promise<LlmOutcome> {
  const started = performance.now()
  const usage = (c: Partial<LlmCompletion>): LlmUsage => ({
    model: c.model ?? config.model,
    inputTokens: c.inputTokens ?? null,
    outputTokens: c.outputTokens ?? null,
    costUsd: c.inputTokens != null || c.outputTokens != null ? estimateCost(config, c.inputTokens ?? null, c.outputTokens ?? null) : null,
    latencyMs: Math.round(performance.now() - started),
  })
  let completion: LlmCompletion
  try {
    completion = await complete(config, { system: SYSTEM_PROMPT, user: userPrompt(context) })
  }
  catch (err) {
    const e = err as LlmError & Partial<LlmCompletion>
    const message = err instanceof LlmError ? e.message : safeMessage(`unexpected failure: ${(err as Error).message}`, config)
    return { ok: false, error: message, ...usage(e) }
  }
  const parsed = parseLlmDiagnosis(completion.text, context)
  return parsed.ok
    ? { ok: true, diagnosis: parsed.diagnosis, ...usage(completion) }
    : { ok: false, error: parsed.error, ...usage(completion) }
}
