import { eq } from 'drizzle-orm'
import { useDb, schema } from '../../db'
import type { AiSettingsBody } from '#shared/schemas/diagnosis'
import type { AiSettingsView, AiTestResult } from '#shared/types/diagnosis'
import { useConfig } from '../../utils/config'
import { conflict } from '../../utils/errors'
import { authorize } from '../policy'
import type { Scope } from '../scope'
import { AI_SETTINGS_KEY, API_KEY_PURPOSE, resolveLlmConfig, type LlmConfig, type StoredAiSettings } from './config'
import { complete } from './index'
import { LlmError } from './http'
import { encryptSecret } from './secret'

const { settings } = schema

/** The server secret the stored key is sealed under. */
function serverSecret(): string {
  return useRuntimeConfig().session?.password || ''
}

async function readStored(): Promise<StoredAiSettings | null> {
  const db = await useDb()
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, AI_SETTINGS_KEY)).limit(1)
  return (row?.value as StoredAiSettings | undefined) ?? null
}

/** The configuration diagnoses use now (environment first, then the settings page), or null for rules only. */
export async function loadLlmConfig(): Promise<LlmConfig | null> {
  return resolveLlmConfig(useConfig().llm, await readStored(), serverSecret()).config
}

/** The AI provider settings as an admin may see them: never the key, only whether one is set and its last 4 characters. */
export async function getAiSettings(scope: Scope): Promise<AiSettingsView> {
  authorize(scope, 'manage_ai_settings')
  return resolveLlmConfig(useConfig().llm, await readStored(), serverSecret()).view
}

/** Saves the provider settings; the key is sealed with AES-256-GCM. Refused while the environment configures the provider. */
export async function updateAiSettings(scope: Scope, body: AiSettingsBody): Promise<AiSettingsView> {
  authorize(scope, 'manage_ai_settings')
  if (useConfig().llm.PROOFDECK_LLM_PROVIDER) {
    throw conflict('The AI provider is configured by PROOFDECK_LLM_* environment variables; change them there (or unset PROOFDECK_LLM_PROVIDER to manage it here).', 'configured_by_env')
  }
  const previous = await readStored()
  let apiKeySealed = previous?.apiKeySealed ?? null
  let apiKeyLast4 = previous?.apiKeyLast4 ?? null
  if (body.apiKey === null) {
    apiKeySealed = null
    apiKeyLast4 = null
  }
  else if (body.apiKey) {
    apiKeySealed = encryptSecret(body.apiKey, serverSecret(), API_KEY_PURPOSE)
    apiKeyLast4 = body.apiKey.length >= 12 ? body.apiKey.slice(-4) : null
  }
  const value: StoredAiSettings = {
    provider: body.provider,
    baseUrl: body.baseUrl?.replace(/\/+$/, '') ?? null,
    model: body.model ?? null,
    apiKeySealed,
    apiKeyLast4,
    priceInputPerMtok: body.priceInputPerMtok ?? null,
    priceOutputPerMtok: body.priceOutputPerMtok ?? null,
  }
  const db = await useDb()
  await db.insert(settings)
    .values({ key: AI_SETTINGS_KEY, value })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: new Date() } })
  return resolveLlmConfig(useConfig().llm, value, serverSecret()).view
}

/** Sends one tiny request to the configured provider and says whether it answered. */
export async function testAiSettings(scope: Scope): Promise<AiTestResult> {
  authorize(scope, 'manage_ai_settings')
  const { config, view } = resolveLlmConfig(useConfig().llm, await readStored(), serverSecret())
  if (!config) return { ok: false, model: view.model, latencyMs: 0, message: view.problem ?? 'No AI provider is configured: diagnoses use the rule engine only.' }
  const started = performance.now()
  try {
    const answer = await complete({ ...config, timeoutMs: Math.min(config.timeoutMs, 30_000) }, {
      system: 'You are a connectivity check. Answer with the JSON object {"ok": true} and nothing else.', user: 'Are you there?', maxTokens: 20,
    })
    return { ok: true, model: answer.model, latencyMs: Math.round(performance.now() - started), message: `${config.provider} answered with model ${answer.model}.` }
  }
  catch (err) {
    const message = err instanceof LlmError ? err.message : 'unexpected failure'
    return { ok: false, model: config.model, latencyMs: Math.round(performance.now() - started), message }
  }
}
