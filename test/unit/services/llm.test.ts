import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assembleClusterContext } from '../../../server/analysis/context'
import { parseLlmDiagnosis, SYSTEM_PROMPT } from '../../../server/analysis/diagnosis-prompt'
import { estimateCost, resolveLlmConfig, type LlmConfig, type StoredAiSettings } from '../../../server/services/llm/config'
import { requestLlmDiagnosis } from '../../../server/services/llm'
import { decryptSecret, encryptSecret } from '../../../server/services/llm/secret'
import { startFakeLlm } from '../../fixtures/fake-llm'
import { evidence, result } from '../analysis/context.fixtures'

const SECRET = 'a-server-secret-that-is-at-least-32-characters'
const KEY = 'sk-test-FAKEKEY-0123456789abcdefghij'

describe('secret sealing', () => {
  it('round-trips, and fails closed with another secret, another purpose or a tampered text', () => {
    const sealed = encryptSecret(KEY, SECRET, 'llm-api-key')
    expect(sealed).not.toContain(KEY)
    expect(sealed.startsWith('v1.')).toBe(true)
    expect(encryptSecret(KEY, SECRET, 'llm-api-key')).not.toBe(sealed) // fresh IV each time
    expect(decryptSecret(sealed, SECRET, 'llm-api-key')).toBe(KEY)
    expect(decryptSecret(sealed, `${SECRET}-rotated`, 'llm-api-key')).toBeNull()
    expect(decryptSecret(sealed, SECRET, 'other-purpose')).toBeNull()
    const parts = sealed.split('.')
    parts[3] = Buffer.from('tampered').toString('base64url')
    expect(decryptSecret(parts.join('.'), SECRET, 'llm-api-key')).toBeNull()
    expect(() => encryptSecret(KEY, 'short', 'llm-api-key')).toThrow(/at least 32/)
  })
})

describe('resolveLlmConfig', () => {
  const stored: StoredAiSettings = {
    provider: 'anthropic', baseUrl: null, model: 'claude-x', apiKeySealed: encryptSecret(KEY, SECRET, 'llm-api-key'), apiKeyLast4: 'ghij',
    priceInputPerMtok: 3, priceOutputPerMtok: 15,
  }

  it('uses nothing when nothing is configured', () => {
    expect(resolveLlmConfig({}, null, SECRET)).toMatchObject({ config: null, view: { source: 'none', apiKey: { set: false } } })
  })

  it('reads the environment first and never shows the key', () => {
    const { config, view } = resolveLlmConfig({
      PROOFDECK_LLM_PROVIDER: 'openai', PROOFDECK_LLM_MODEL: 'gpt-x', PROOFDECK_LLM_API_KEY: KEY, PROOFDECK_LLM_BASE_URL: 'http://llm.local:8080/v1/',
      PROOFDECK_LLM_PRICE_INPUT: '0.15', PROOFDECK_LLM_PRICE_OUTPUT: '0.6',
    }, stored, SECRET)
    expect(config).toMatchObject({ provider: 'openai', model: 'gpt-x', apiKey: KEY, baseUrl: 'http://llm.local:8080/v1', priceInputPerMtok: 0.15, source: 'env' })
    expect(view).toMatchObject({ source: 'env', apiKey: { set: true, last4: 'ghij' } })
    expect(JSON.stringify(view)).not.toContain(KEY)
  })

  it('reports a bad environment instead of guessing', () => {
    expect(resolveLlmConfig({ PROOFDECK_LLM_PROVIDER: 'openai' }, null, SECRET).view.problem).toMatch(/PROOFDECK_LLM_MODEL/)
    expect(resolveLlmConfig({ PROOFDECK_LLM_PROVIDER: 'gemini', PROOFDECK_LLM_MODEL: 'x' }, null, SECRET).config).toBeNull()
    expect(resolveLlmConfig({ PROOFDECK_LLM_PROVIDER: 'none' }, stored, SECRET)).toMatchObject({ config: null, view: { source: 'env', problem: null } })
  })

  it('decrypts the saved key, and says so when the server secret changed', () => {
    expect(resolveLlmConfig({}, stored, SECRET).config).toMatchObject({ provider: 'anthropic', apiKey: KEY, baseUrl: 'https://api.anthropic.com', source: 'settings' })
    const rotated = resolveLlmConfig({}, stored, `${SECRET}-new`)
    expect(rotated.config).toBeNull()
    expect(rotated.view.problem).toMatch(/cannot be decrypted/)
  })

  it('estimates cost from prices per million tokens', () => {
    expect(estimateCost({ priceInputPerMtok: 3, priceOutputPerMtok: 15 }, 1_000_000, 100_000)).toBe(4.5)
    expect(estimateCost({ priceInputPerMtok: null, priceOutputPerMtok: null }, 1000, 1000)).toBeNull()
  })
})

describe('providers against a local server speaking their wire formats', () => {
  let fake: Awaited<ReturnType<typeof startFakeLlm>>
  const s = result({ errorMessage: `Error: connect ECONNREFUSED 127.0.0.1:5432\nAuthorization: Bearer ${'q7'.repeat(12)}` })
  const context = assembleClusterContext(evidence({ samples: [s] }), { secrets: [KEY] })
  const good = {
    category: 'network', summary: 'PostgreSQL was not reachable.', rootCause: 'The database container was not started.',
    evidence: [{ runId: s.runId, resultId: s.resultId, quote: 'Error: connect ECONNREFUSED 127.0.0.1:5432', why: 'refused connection' }],
    suggestedFix: 'Start postgres before the tests.', investigationSteps: ['Reproduce', 'Look', 'Divide', 'Change', 'Plug', 'Verify'], confidence: 0.8,
  }
  const config = (over: Partial<LlmConfig> = {}): LlmConfig => ({
    provider: 'openai', baseUrl: `${fake.url}/v1`, apiKey: KEY, model: 'gpt-x', priceInputPerMtok: 1, priceOutputPerMtok: 2, timeoutMs: 5000, source: 'env', ...over,
  })

  beforeAll(async () => {
    fake = await startFakeLlm()
  })
  afterAll(() => fake.close())

  it('OpenAI-compatible: sends the redacted bundle in JSON mode with the key as bearer, validates and prices the answer', async () => {
    fake.setMode({ kind: 'json', body: good })
    const out = await requestLlmDiagnosis(config(), context)
    expect(out).toMatchObject({ ok: true, model: 'gpt-x-2026-01-01', inputTokens: 1200, outputTokens: 300, costUsd: 0.0018 })
    const req = fake.requests.at(-1)!
    expect(req.path).toBe('/v1/chat/completions')
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`)
    expect(req.body.response_format).toEqual({ type: 'json_object' })
    const sent = JSON.stringify(req.body.messages)
    expect(sent).toContain('ECONNREFUSED 127.0.0.1:5432')
    expect(sent).toContain('[REDACTED:authorization]')
    expect(sent).not.toContain('q7q7q7q7')
    expect(sent).not.toContain(KEY)
  })

  it('OpenAI-compatible: a server that refuses JSON mode is asked again without it', async () => {
    fake.setMode({ kind: 'reject-json-mode' })
    const before = fake.requests.length
    const out = await requestLlmDiagnosis(config(), context)
    expect(fake.requests.length - before).toBe(2)
    expect(fake.requests.at(-1)!.body.response_format).toBeUndefined()
    expect(out.ok).toBe(false) // the retry answered {"ok":true}: not a diagnosis
  })

  it('Anthropic: x-api-key and version headers, system prompt, usage', async () => {
    fake.setMode({ kind: 'text', text: `Here is my analysis:\n\`\`\`json\n${JSON.stringify(good)}\n\`\`\`` })
    const out = await requestLlmDiagnosis(config({ provider: 'anthropic', baseUrl: fake.url, model: 'claude-x' }), context)
    expect(out).toMatchObject({ ok: true, model: 'claude-x', inputTokens: 1000, outputTokens: 250 })
    const req = fake.requests.at(-1)!
    expect(req.path).toBe('/v1/messages')
    expect(req.headers['x-api-key']).toBe(KEY)
    expect(req.headers['anthropic-version']).toBe('2023-06-01')
    expect(req.body.system).toMatch(/diagnose failing automated tests/)
    expect(req.body.max_tokens).toBeGreaterThan(0)
  })

  it('invalid output, unknown citations and provider errors come back as safe errors with usage, never throwing', async () => {
    fake.setMode({ kind: 'text', text: 'I think it is the database.' })
    expect(await requestLlmDiagnosis(config(), context)).toMatchObject({ ok: false, error: 'invalid output: the answer contains no JSON object', inputTokens: 1200 })

    fake.setMode({ kind: 'json', body: { ...good, category: 'cosmic-rays' } })
    expect((await requestLlmDiagnosis(config(), context) as { error: string }).error).toMatch(/^invalid output: category:/)

    fake.setMode({ kind: 'json', body: { ...good, evidence: [{ runId: 'made-up', resultId: null, quote: 'x', why: 'y' }] } })
    expect((await requestLlmDiagnosis(config(), context) as { error: string }).error).toMatch(/no evidence item cites/)

    fake.setMode({ kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}.` } } })
    const denied = await requestLlmDiagnosis(config(), context)
    expect(denied).toMatchObject({ ok: false, inputTokens: null, costUsd: null })
    expect((denied as { error: string }).error).toMatch(/^HTTP 401 from http:\/\/127\.0\.0\.1:\d+: Incorrect API key provided: \[REDACTED/)
    expect(JSON.stringify(denied)).not.toContain(KEY)

    const down = await requestLlmDiagnosis(config({ baseUrl: 'http://127.0.0.1:9/v1' }), context)
    expect((down as { error: string }).error).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:9/)
  })
})

describe('parseLlmDiagnosis', () => {
  const s = result({ errorMessage: 'Error: boom happened here' })
  const context = assembleClusterContext(evidence({ samples: [s] }))
  const answer = (evidence: object[]) => JSON.stringify({ category: 'crash', summary: 's', rootCause: 'r', evidence, suggestedFix: 'f', investigationSteps: ['a'], confidence: 0.5 })

  it('drops evidence with ids or quotes that are not in the bundle, keeps the rest', () => {
    const out = parseLlmDiagnosis(answer([
      { runId: s.runId, resultId: s.resultId, quote: 'Error: boom happened here', why: 'ok' },
      { runId: s.runId, resultId: 'not-a-result', quote: 'Error: boom happened here', why: 'bad result id' },
      { runId: s.runId, resultId: null, quote: 'a line the model invented', why: 'bad quote' },
    ]), context)
    expect(out.ok && out.diagnosis.evidence).toHaveLength(1)
    expect(out.ok && out.dropped).toBe(2)
  })

  it('takes a build failure as a build, which the prompt offers and defines', () => {
    const go = result({ test: 'example.com/shop/internal/cart › [build failed]', errorMessage: 'Build error',
      errorStack: 'internal/cart/cart.go:8:21: cannot use 0 (untyped int constant) as string value in variable declaration' })
    const quote = 'internal/cart/cart.go:8:21: cannot use 0 (untyped int constant) as string value in variable declaration'
    const out = parseLlmDiagnosis(JSON.stringify({
      category: 'build', summary: 'example.com/shop/internal/cart does not compile.', rootCause: 'r',
      evidence: [{ runId: go.runId, resultId: go.resultId, quote, why: 'the compiler' }], suggestedFix: 'f', investigationSteps: ['a'], confidence: 0.9,
    }), assembleClusterContext(evidence({ samples: [go] })))
    expect(out).toMatchObject({ ok: true, dropped: 0, diagnosis: { category: 'build' } })
    expect(SYSTEM_PROMPT).toMatch(/"build" when the code or its tests did not compile/)
  })
})
