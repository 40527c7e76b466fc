import type { AiProvider, AiSettingsView } from '#shared/types/diagnosis'
import { decryptSecret } from './secret'

/** The provider configuration a diagnosis uses; `apiKey` is plain text and must never leave the server. */
export interface LlmConfig {
  provider: AiProvider
  baseUrl: string
  apiKey: string | null
  model: string
  priceInputPerMtok: number | null
  priceOutputPerMtok: number | null
  timeoutMs: number
  source: 'env' | 'settings'
}

/** What the settings page saves (row `ai` of the settings table). */
export interface StoredAiSettings {
  provider: AiProvider | null
  baseUrl: string | null
  model: string | null
  /** AES-256-GCM, see secret.ts. */
  apiKeySealed: string | null
  apiKeyLast4: string | null
  priceInputPerMtok: number | null
  priceOutputPerMtok: number | null
}

export const AI_SETTINGS_KEY = 'ai'
export const API_KEY_PURPOSE = 'llm-api-key'

const DEFAULT_BASE_URLS: Record<AiProvider, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
}

const num = (v: string | undefined): number | null => {
  if (v == null || v.trim() === '') return null
  const n = Number(v)
  return Number.isFinite(n) && n >= 0 ? n : null
}
const last4 = (key: string | null) => key && key.length >= 12 ? key.slice(-4) : null

/**
 * The effective configuration: PROOFDECK_LLM_PROVIDER in the environment wins (and locks the settings page);
 * otherwise what an admin saved. `view` is what the settings API may show: never the key.
 */
export function resolveLlmConfig(
  env: Record<string, string | undefined>,
  stored: StoredAiSettings | null,
  serverSecret: string,
): { config: LlmConfig | null, view: AiSettingsView } {
  const timeoutMs = Math.min(Math.max(num(env.PROOFDECK_LLM_TIMEOUT_MS) ?? 60_000, 1000), 600_000)
  const envProvider = env.PROOFDECK_LLM_PROVIDER?.trim().toLowerCase()
  if (envProvider) {
    const provider: AiProvider | null = envProvider === 'openai' || envProvider === 'anthropic' ? envProvider : null
    const model = env.PROOFDECK_LLM_MODEL?.trim() || null
    const apiKey = env.PROOFDECK_LLM_API_KEY?.trim() || null
    const baseUrl = (env.PROOFDECK_LLM_BASE_URL?.trim() || (provider ? DEFAULT_BASE_URLS[provider] : '')).replace(/\/+$/, '')
    let problem: string | null = null
    if (!provider && !['none', 'off', 'rules'].includes(envProvider)) problem = `PROOFDECK_LLM_PROVIDER is "${envProvider}"; use openai, anthropic or none.`
    else if (provider && !model) problem = 'PROOFDECK_LLM_MODEL is not set: name the model to use.'
    const view: AiSettingsView = {
      source: 'env', provider, baseUrl: provider ? baseUrl : null, model, apiKey: { set: !!apiKey, last4: last4(apiKey) },
      priceInputPerMtok: num(env.PROOFDECK_LLM_PRICE_INPUT), priceOutputPerMtok: num(env.PROOFDECK_LLM_PRICE_OUTPUT), problem,
    }
    const config = provider && model && !problem
      ? { provider, baseUrl, apiKey, model, priceInputPerMtok: view.priceInputPerMtok, priceOutputPerMtok: view.priceOutputPerMtok, timeoutMs, source: 'env' as const }
      : null
    return { config, view }
  }
  if (!stored?.provider) {
    return { config: null, view: { source: 'none', provider: null, baseUrl: null, model: null, apiKey: { set: false, last4: null }, priceInputPerMtok: null, priceOutputPerMtok: null, problem: null } }
  }
  let apiKey: string | null = null
  let problem: string | null = null
  if (stored.apiKeySealed) {
    apiKey = decryptSecret(stored.apiKeySealed, serverSecret, API_KEY_PURPOSE)
    if (apiKey == null) problem = 'The stored API key cannot be decrypted (the server secret NUXT_SESSION_PASSWORD changed). Enter the key again.'
  }
  const baseUrl = (stored.baseUrl || DEFAULT_BASE_URLS[stored.provider]).replace(/\/+$/, '')
  const view: AiSettingsView = {
    source: 'settings', provider: stored.provider, baseUrl, model: stored.model, apiKey: { set: !!stored.apiKeySealed, last4: stored.apiKeyLast4 },
    priceInputPerMtok: stored.priceInputPerMtok, priceOutputPerMtok: stored.priceOutputPerMtok, problem,
  }
  const config = stored.model && !problem
    ? { provider: stored.provider, baseUrl, apiKey, model: stored.model, priceInputPerMtok: stored.priceInputPerMtok, priceOutputPerMtok: stored.priceOutputPerMtok, timeoutMs, source: 'settings' as const }
    : null
  return { config, view }
}

/** Estimated cost in USD, or null when no price is configured. */
export function estimateCost(config: Pick<LlmConfig, 'priceInputPerMtok' | 'priceOutputPerMtok'>, inputTokens: number | null, outputTokens: number | null): number | null {
  if (config.priceInputPerMtok == null && config.priceOutputPerMtok == null) return null
  const cost = ((inputTokens ?? 0) * (config.priceInputPerMtok ?? 0) + (outputTokens ?? 0) * (config.priceOutputPerMtok ?? 0)) / 1_000_000
  return Math.round(cost * 1e6) / 1e6
}
