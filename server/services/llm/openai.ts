import type { LlmConfig } from './config'
import { LlmError, postJson, type LlmCompletion, type LlmPrompt } from './http'

interface ChatCompletionResponse {
  model?: string
  choices?: { message?: { content?: string | null, refusal?: string | null }, finish_reason?: string }[]
  usage?: { prompt_tokens?: number, completion_tokens?: number }
}

/**
 * OpenAI-compatible chat completions (OpenAI, Azure-style gateways, vLLM, llama.cpp, Ollama, LiteLLM…):
 * POST {baseUrl}/chat/completions, JSON mode. A server that rejects the JSON-mode or temperature parameters is
 * asked once more without them.
 */
export async function openaiComplete(config: LlmConfig, prompt: LlmPrompt): Promise<LlmCompletion> {
  const url = `${config.baseUrl}/chat/completions`
  const headers: Record<string, string> = config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}
  const messages = [{ role: 'system', content: prompt.system }, { role: 'user', content: prompt.user }]
  let json: ChatCompletionResponse
  try {
    json = await postJson(url, headers, { model: config.model, messages, temperature: 0, response_format: { type: 'json_object' } }, config) as ChatCompletionResponse
  }
  catch (err) {
    if (!(err instanceof LlmError) || err.status !== 400 || !/response_format|temperature|json/i.test(err.message)) throw err
    json = await postJson(url, headers, { model: config.model, messages }, config) as ChatCompletionResponse
  }
  const choice = json.choices?.[0]
  const usage = { inputTokens: json.usage?.prompt_tokens ?? null, outputTokens: json.usage?.completion_tokens ?? null }
  const text = choice?.message?.content
  if (!text) {
    const why = choice?.message?.refusal ? `the model refused: ${choice.message.refusal}` : `no message content (finish_reason ${choice?.finish_reason ?? 'missing'})`
    throw Object.assign(new LlmError(`invalid output: ${why}`), usage)
  }
  return { text, ...usage, model: json.model ?? config.model }
}
