import type { LlmConfig } from './config'
import { LlmError, postJson, type LlmCompletion, type LlmPrompt } from './http'

interface MessagesResponse {
  model?: string
  content?: { type: string, text?: string }[]
  stop_reason?: string
  usage?: { input_tokens?: number, output_tokens?: number }
}

/** Anthropic Messages API: POST {baseUrl}/v1/messages (a base URL already ending in /v1 is used as is). */
export async function anthropicComplete(config: LlmConfig, prompt: LlmPrompt): Promise<LlmCompletion> {
  const url = /\/v1$/.test(config.baseUrl) ? `${config.baseUrl}/messages` : `${config.baseUrl}/v1/messages`
  const headers: Record<string, string> = { 'anthropic-version': '2023-06-01', ...(config.apiKey ? { 'x-api-key': config.apiKey } : {}) }
  const json = await postJson(url, headers, {
    model: config.model,
    max_tokens: prompt.maxTokens ?? 2048,
    temperature: 0,
    system: prompt.system,
    messages: [{ role: 'user', content: prompt.user }],
  }, config) as MessagesResponse
  const usage = { inputTokens: json.usage?.input_tokens ?? null, outputTokens: json.usage?.output_tokens ?? null }
  const text = (json.content ?? []).filter(c => c.type === 'text').map(c => c.text ?? '').join('')
  if (!text) throw Object.assign(new LlmError(`invalid output: no text in the answer (stop_reason ${json.stop_reason ?? 'missing'})`), usage)
  return { text, ...usage, model: json.model ?? config.model }
}
