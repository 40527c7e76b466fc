import {
  createMcpHandler, isLegacyRequest, McpServer, SUPPORTED_PROTOCOL_VERSIONS, WebStandardStreamableHTTPServerTransport, type AuthInfo,
} from '@modelcontextprotocol/server'
import { links } from '#shared/links'
import { checkBearerEarly, type BearerCheck } from '../utils/bearer'
import { publicBaseUrl, useConfig } from '../utils/config'
import type { Scope } from '../services/scope'
import { TOOLS } from './tools'
import type { ToolDefinition } from './define'
import type { z } from 'zod'
import { describeFailure } from '../utils/failures'
import { render } from './render'
import { convertedOnce } from './schemas'

/**
 * The MCP endpoint as a framework-free function from a request to an answer (server/routes/mcp.ts adapts it):
 * stateless, JSON responses, both protocol eras of the official SDK, `read` API keys, and the eleven read-only tools.
 */

/**
 * What the endpoint reads of a request. The route gives a view of node's request, so the calls answered here (a
 * refusal, a replay, a direct tools/call) build no web Request, Headers or stream; a web Request is made only for
 * the SDK (serve). Header names are lower case.
 */
export interface McpRequest {
  method: string
  url: string
  header: (name: string) => string | null
  /** Every header, for the web Request the SDK is handed. */
  headers: () => [string, string][]
  body: AsyncIterable<Uint8Array> | null
}

/** An answer written whole; `Response` is what the SDK answers with (its JSON, or a stream). */
export interface McpAnswer { status: number, headers: Record<string, string>, body: string }

const INSTRUCTIONS = 'Read-only access to the test results this API key may see. Start with list_projects; then list_runs / get_run for a red CI run, list_clusters / get_cluster / get_cluster_diagnosis for root causes, list_flaky_tests / get_test_case for flaky tests. Ids in every result are the ids the next tool takes; runs and failures are newest first, flaky tests by score, clusters by last failure, projects by slug; lists page with nextCursor, which any list that stops early (limit, or ~8k tokens: truncated says so) carries; dates are ISO 8601; a test\'s title is as its report names it (what a runner selects it by: pytest\'s escaped id) and name, when given, as people read it (class before method, id decoded); outputSchema describes the fields.'
const MAX_BODY = 1_048_576

/** What a model calls next when an id is unknown: the services say what is missing, this door says where ids come from. */
const NEXT_STEP: Record<string, string> = {
  project_not_found: 'list_projects (or the projects page) shows the ones you can read.',
  run_not_found: 'list_runs gives the ids of a project\'s runs.',
  compare_run_not_found: 'list_runs gives the ids of a project\'s runs.',
  test_case_not_found: 'get_run, list_failed_cases and list_flaky_tests give test case ids.',
  cluster_not_found: 'list_clusters gives cluster ids.',
  diagnosis_not_found: 'get_cluster_diagnosis takes a cluster id from list_clusters.',
}

interface Registered {
  tool: ToolDefinition
  /** The tool's input refusing unknown arguments: a misnamed one (`status` for `results`) was dropped without a word. */
  strict: z.ZodObject
  input: ReturnType<typeof convertedOnce>
  output: ReturnType<typeof convertedOnce>
}
let registered: Registered[] | undefined

/** The enabled tools with their schemas as the SDK takes them, made once: the configuration is fixed for the process. */
function enabledTools(): Registered[] {
  const { enabled, disabled } = useConfig().tools
  registered ??= (TOOLS as ToolDefinition[]).filter(t => (!enabled.size || enabled.has(t.name)) && !disabled.has(t.name))
    .map((tool) => {
      const strict = tool.input.strict()
      return { tool, strict, input: convertedOnce(strict, 'input'), output: convertedOnce(tool.output, 'output') }
    })
  return registered
}

/** Tries at shortening an answer that does not fit (the data may grow between two reads). */
const SHORTEN_TRIES = 3

/**
 * A tool's answer under the size cap: one over it is asked again with as many rows as fit, so its list stops early
 * with the service's own cursor to exactly the rest.
 */
async function answer(tool: ToolDefinition, scope: Scope, args: Record<string, unknown>): Promise<ToolAnswer> {
  let rendered = render(await tool.run(scope, args as never), tool.name, { canShorten: !!tool.shorten })
  for (let i = 1; 'fit' in rendered; i++) {
    const asked = Number(args[tool.shorten!])
    rendered = render(await tool.run(scope, { ...args, [tool.shorten!]: rendered.fit } as never), tool.name,
      { canShorten: i < SHORTEN_TRIES, shortenedFrom: asked })
  }
  const { text, structured, json } = rendered
  return {
    result: { content: [{ type: 'text', text }], structuredContent: structured },
    // the same bytes JSON.stringify(result) gives, with the rows serialized once (they are the text)
    json: `{"content":[{"type":"text","text":${JSON.stringify(text)}}],"structuredContent":${json}}`,
  }
}

/** A tools/call result and the same result as JSON. */
interface ToolAnswer {
  result: { content: { type: 'text', text: string }[], structuredContent?: Record<string, unknown>, isError?: true }
  json: string
}

/**
 * A thrown 4xx (not found, bad cursor, …) becomes a sentence the model can act on, with the tool to call next for
 * an unknown id; anything else stays vague.
 */
function toolError(err: unknown, tool: string): string {
  const e = err as { statusCode?: number, statusMessage?: string, message?: string, data?: { code?: string } }
  if (e?.statusCode && e.statusCode < 500) {
    const message = e.statusMessage || e.message || 'The request was refused.'
    const next = e.data?.code ? NEXT_STEP[e.data.code] : undefined
    return next ? `${message} ${next}` : message
  }
  return describeFailure(err, `MCP ${tool}`).sentence
}

/**
 * The server of one request (the SDK serves each exchange with a new one): cheap, since everything it lists is made
 * once; the caller's scope is what differs.
 */
function buildServer(scope: Scope): McpServer {
  // the tool list is fixed for the life of the process: never announce list_changed notifications that cannot come
  const server = new McpServer({ name: 'proofdeck', title: 'Proofdeck', version: '0.1.0' }, { instructions: INSTRUCTIONS, capabilities: { tools: { listChanged: false } } })
  for (const { tool, input, output } of enabledTools()) {
    server.registerTool(tool.name, {
      title: tool.title,
      description: tool.description,
      inputSchema: input,
      outputSchema: output,
      annotations: READ_ONLY,
    }, async (args: unknown) => (await callTool(tool, scope, args as Record<string, unknown>)).result)
  }
  return server
}

/** A tool's result as tools/call gives it: the answer, or a failure as a sentence with isError. */
async function callTool(tool: ToolDefinition, scope: Scope, args: Record<string, unknown>): Promise<ToolAnswer> {
  try {
    return await answer(tool, scope, args)
  }
  catch (err) {
    const result = { content: [{ type: 'text' as const, text: toolError(err, tool.name) }], isError: true as const }
    return { result, json: JSON.stringify(result) }
  }
}

/**
 * A legacy-era `tools/call` of an enabled tool whose arguments validate, answered here: the same validation (the
 * tool's zod schema), the same call and the same result as through the SDK, without a server, a transport and the
 * web Request/Response between them per call (their work was most of a simple read's cost in our process). Anything
 * else (unknown tool, bad arguments, `_meta`, a protocol version the SDK does not speak, a modern-era request) goes
 * to the SDK, which answers it and its errors as before.
 */
async function direct(body: unknown, header: McpRequest['header'], scope: Scope): Promise<McpAnswer | undefined> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined
  const { jsonrpc, id, method, params, ...rest } = body as Record<string, unknown>
  if (jsonrpc !== '2.0' || method !== 'tools/call' || Object.keys(rest).length || !params || typeof params !== 'object') return undefined
  if (typeof id !== 'string' && !Number.isSafeInteger(id)) return undefined
  const { name, arguments: args, ...more } = params as Record<string, unknown>
  if (Object.keys(more).length || (args !== undefined && (!args || typeof args !== 'object' || Array.isArray(args)))) return undefined
  const version = header('mcp-protocol-version')
  if ((version && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) || header('mcp-method') !== null) return undefined
  if (!(header('content-type') ?? '').includes('application/json')) return undefined
  const found = enabledTools().find(t => t.tool.name === name)
  const tool = found?.tool
  const parsed = await found?.strict.safeParseAsync(args ?? {})
  if (!tool || !parsed?.success) return undefined
  const { json } = await callTool(tool, scope, parsed.data as Record<string, unknown>)
  return { status: 200, headers: JSON_NO_STORE, body: `{"result":${json},"jsonrpc":"2.0","id":${JSON.stringify(id)}}` }
}

const READ_ONLY = Object.freeze({ readOnlyHint: true })

const scopeOf = (authInfo: AuthInfo | undefined) => authInfo?.extra?.scope as Scope

/**
 * The SDK warns at every start that JSON responses drop mid-call notifications. Proofdeck's tools send none (stateless,
 * JSON answers: docs/mcp.md), so the line only told operators of a problem they do not have: it is left out.
 */
function quietly<T>(make: () => T): T {
  const warn = console.warn
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('responseMode: \'json\' drops mid-call notifications')) warn(...args)
  }
  try {
    return make()
  }
  finally {
    console.warn = warn
  }
}

const modern = quietly(() => createMcpHandler(({ authInfo }) => buildServer(scopeOf(authInfo)), { legacy: 'reject', responseMode: 'json' }))

/** A legacy-era request served by a server of its own; `body` and `headers` (the client's) say whether to keep the answer. */
async function legacy(
  request: Request, opts: { authInfo: AuthInfo, parsedBody?: unknown }, body: unknown, header: McpRequest['header'],
): Promise<Response> {
  const server = buildServer(scopeOf(opts.authInfo))
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
  await server.connect(transport)
  try {
    return await remembered(body, header, await transport.handleRequest(request, opts))
  }
  finally {
    void transport.close()
    void server.close()
  }
}

/**
 * Legacy-era requests whose answer is the same for every caller of the process: `tools/list` (the tools are fixed at
 * start and the same for every key) and `ping`, without params. The SDK's first answer per method and protocol
 * version header is kept and replayed with the request's id, so these skip the server, the transport and their
 * validation (most of their cost once the key check is cached). The key holds the headers the SDK checks (protocol
 * version, accept); anything else, or any other shape, goes to the SDK.
 */
const REPLAYABLE = new Set(['tools/list', 'ping'])
const replays = new Map<string, { status: number, headers: Record<string, string>, result: string }>()

/** The replay key of a request that may be replayed, else undefined. */
function replayKey(body: unknown, header: McpRequest['header']): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined
  const { jsonrpc, id, method, params, ...rest } = body as Record<string, unknown>
  if (jsonrpc !== '2.0' || typeof method !== 'string' || !REPLAYABLE.has(method) || Object.keys(rest).length) return undefined
  if (typeof id !== 'string' && !Number.isSafeInteger(id)) return undefined
  if (params !== undefined && (!params || typeof params !== 'object' || Object.keys(params).length)) return undefined
  if (!(header('content-type') ?? '').includes('application/json')) return undefined
  return `${method} ${header('mcp-protocol-version') ?? ''} ${header('accept') ?? ''}`
}

function replay(body: unknown, header: McpRequest['header']): McpAnswer | undefined {
  const key = replayKey(body, header)
  const kept = key === undefined ? undefined : replays.get(key)
  if (!kept) return undefined
  const id = JSON.stringify((body as { id: string | number }).id)
  return { status: kept.status, headers: kept.headers, body: `{"result":${kept.result},"jsonrpc":"2.0","id":${id}}` }
}

/** Keeps the SDK's successful answer to a replayable request (see REPLAYABLE) and hands it on unchanged. */
async function remembered(body: unknown, header: McpRequest['header'], response: Response): Promise<Response> {
  const key = replayKey(body, header)
  if (key === undefined || replays.has(key) || response.status !== 200) return response
  const text = await response.text()
  const { result } = JSON.parse(text) as { result?: unknown }
  const kept = Object.fromEntries([...response.headers].filter(([name]) => name !== 'content-length'))
  if (result !== undefined) replays.set(key, { status: 200, headers: { ...kept, ...NO_STORE }, result: JSON.stringify(result) })
  return new Response(text, { status: response.status, headers: response.headers })
}

const NO_STORE = { 'cache-control': 'no-store' }
const JSON_NO_STORE = Object.freeze({ 'content-type': 'application/json', ...NO_STORE })
function rpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): McpAnswer {
  return { status, headers: { ...JSON_NO_STORE, ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }) }
}

/**
 * The one origin a web page may call /mcp from: PROOFDECK_PUBLIC_URL's when set, else the request's own. Only the
 * configured origin protects against DNS rebinding, since a rebinding page controls both the Host header (from which
 * the request's origin is derived) and its Origin.
 */
function allowedOrigin(request: McpRequest): string {
  return new URL(publicBaseUrl(new URL(request.url).origin)).origin
}

/**
 * The body as text when it is at most `limit` bytes, else null; counted as it streams in, so a long chunked body is
 * never held whole. Past the limit the rest is read and dropped in the background (as nginx's lingering close), so
 * the client reads the 413 instead of a reset.
 */
async function readBodyWithin(request: McpRequest, limit: number): Promise<string | null> {
  if (!request.body) return ''
  const chunks = request.body[Symbol.asyncIterator]()
  const read: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await chunks.next()
    if (done) return Buffer.concat(read, size).toString('utf8')
    size += value.byteLength
    if (size > limit) {
      void drain(chunks)
      return null
    }
    read.push(value)
  }
}

async function drain(chunks: AsyncIterator<Uint8Array>): Promise<void> {
  try {
    while (!(await chunks.next()).done) { /* dropped */ }
  }
  catch { /* the client went away: nothing left to drop */ }
}

/** An answer given without reading the body: the body is still dropped as it arrives, never queued up in memory. */
function unread(request: McpRequest, answer: McpAnswer): McpAnswer {
  if (request.body) void drain(request.body[Symbol.asyncIterator]())
  return answer
}

export async function mcpEndpoint(request: McpRequest): Promise<McpAnswer | Response> {
  const origin = request.header('origin')
  if (origin && origin !== allowedOrigin(request)) return unread(request, rpcError(403, -32600, `Requests from origin ${origin} are refused: MCP clients call this endpoint directly, not from web pages.`))
  if (request.method !== 'POST') return unread(request, rpcError(405, -32000, 'Method not allowed: this MCP endpoint is stateless and answers POST only.', { allow: 'POST' }))

  const keysUrl = `${publicBaseUrl(new URL(request.url).origin)}${links.apiKeys()}`
  const { early, now } = checkBearerEarly(request.header('authorization'), 'read', keysUrl)
  // a key without the read scope is a 401 here too: MCP clients react to 401 by asking for a new key, not to 403
  const refused = (check: BearerCheck & { ok: false }) =>
    rpcError(401, -31001, check.message, { 'www-authenticate': check.challenge ?? 'Bearer realm="proofdeck"' })
  if (!early) {
    // no earlier reading of this key to start under: the body is read only once the key is known good
    const check = await now()
    if (!check.ok) return unread(request, refused(check))
    const body = await readRequest(request)
    return 'raw' in body ? serve(request, body, check.scope) : body
  }
  const body = await readRequest(request)
  if (!('raw' in body)) return body
  // a current reading is the key's answer (every change to keys reaches this process); an answer that is the same for
  // every key (ping, tools/list, initialize) reads no data, so a reading from the last few seconds lets it in too
  if (early.current || (early.ageMs < STATIC_KEY_AGE_MS && isStatic(body.parsed))) return serve(request, body, early.scope)
  // else the request is served under the key's previous reading while the key is read again, and the answer stands
  // only if the key still reads the same (otherwise it is refused, or served again under the new scope)
  const [response, check] = await Promise.all([serve(request, body, early.scope), now()])
  if (!check.ok) return refused(check)
  return sameScope(check.scope, early.scope) ? response : serve(request, body, check.scope)
}

/** How old a reading of a key may be to let in a request whose answer reads no data (isStatic). */
const STATIC_KEY_AGE_MS = 3_000
const STATIC_METHODS = new Set(['ping', 'tools/list', 'initialize', 'notifications/initialized'])

/** A request whose answer is the same for every key and reads no data: one JSON-RPC message of a STATIC_METHODS method. */
function isStatic(body: unknown): boolean {
  const method = body && typeof body === 'object' && !Array.isArray(body) ? (body as { method?: unknown }).method : undefined
  return typeof method === 'string' && STATIC_METHODS.has(method)
}

const sameScope = (a: Scope, b: Scope) => JSON.stringify(a) === JSON.stringify(b)

/** The request's body as text and as JSON (undefined when it is not JSON: the SDK answers that), or the 413. */
async function readRequest(request: McpRequest): Promise<{ raw: string, parsed: unknown } | McpAnswer> {
  const tooLarge = () => rpcError(413, -32600, 'Request body too large: the limit is 1 MB.')
  if (Number(request.header('content-length') ?? 0) > MAX_BODY) return unread(request, tooLarge())
  const raw = await readBodyWithin(request, MAX_BODY)
  if (raw === null) return tooLarge()
  try {
    return { raw, parsed: raw ? JSON.parse(raw) : undefined }
  }
  catch {
    return { raw, parsed: undefined }
  }
}

/** One request with a read body, answered under `scope`: a replay, the direct tools/call, or the SDK. */
async function serve(
  request: McpRequest, { raw, parsed: parsedBody }: { raw: string, parsed: unknown }, scope: Scope,
): Promise<McpAnswer | Response> {
  const replayed = replay(parsedBody, request.header) ?? await direct(parsedBody, request.header, scope)
  if (replayed) return replayed

  const headers = new Headers(request.headers())
  if (!(headers.get('accept') ?? '').includes('text/event-stream')) headers.set('accept', 'application/json, text/event-stream')
  // the SDK reads a body only when it was not JSON (to answer 400 -32700 itself)
  const req = new Request(request.url, { method: 'POST', headers, body: parsedBody === undefined ? raw : null })
  const authInfo: AuthInfo = { token: scope.keyId ?? '', clientId: scope.keyId ?? '', scopes: ['read'], extra: { scope } }
  const opts = { authInfo, ...(parsedBody !== undefined && { parsedBody }) }
  const response = (await isLegacyRequest(req, parsedBody))
    ? await legacy(req, opts, parsedBody, request.header)
    : await modern.fetch(req, opts)
  response.headers.set('cache-control', 'no-store')
  return response
}
