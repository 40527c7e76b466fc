import { redactSecrets } from '../../analysis/redact'
import type { LlmConfig } from './config'

/** One answer of a chat model. */
export interface LlmCompletion {
  text: string
  inputTokens: number | null
  outputTokens: number | null
  model: string
}

export interface LlmPrompt {
  system: string
  user: string
  maxTokens?: number
}

/** A provider failure with a message safe to store and log (the key and other secrets redacted). */
export class LlmError extends Error {
  constructor(message: string, readonly status: number | null = null) {
    super(message)
    this.name = 'LlmError'
  }
}

/** Error text cleaned of the configured key and anything else that looks like a secret, and kept short. */
export function safeMessage(message: string, config: Pick<LlmConfig, 'apiKey'>): string {
  const text = redactSecrets(message, config.apiKey ? [config.apiKey] : []).text
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}

/** The reason in a provider's error body ({"error": {"message"}} for both wire formats), or the body's start. */
function errorReason(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: { message?: string } | string, message?: string }
    const e = json.error
    const msg = typeof e === 'string' ? e : e?.message ?? json.message
    if (msg) return msg
  }
  catch { /* not JSON */ }
  return body.replace(/\s+/g, ' ').slice(0, 200) || '(empty body)'
}

/** POSTs JSON with a timeout; throws LlmError with a safe sentence on transport errors and non-2xx answers. */
export async function postJson(url: string, headers: Record<string, string>, body: unknown, config: Pick<LlmConfig, 'apiKey' | 'timeoutMs'>): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(config.timeoutMs),
      redirect: 'error',
    })
  }
  catch (err) {
    const e = err as Error & { cause?: { code?: string, message?: string } }
    const why = e.name === 'TimeoutError' ? `no answer within ${config.timeoutMs} ms` : [e.message, e.cause?.code ?? e.cause?.message].filter(Boolean).join(': ')
    throw new LlmError(safeMessage(`cannot reach ${new URL(url).origin}: ${why}`, config))
  }
  const text = await res.text()
  if (!res.ok) throw new LlmError(safeMessage(`HTTP ${res.status} from ${new URL(url).origin}: ${errorReason(text)}`, config), res.status)
  try {
    return JSON.parse(text)
  }
  catch {
    throw new LlmError(safeMessage(`the provider answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 120)}`, config), res.status)
  }
}
