import { createMcpHandler, isLegacyRequest, McpServer, WebStandardStreamableHTTPServerTransport, type AuthInfo } from '@modelcontextprotocol/server'
import { links } from '#shared/links'
import { checkBearer } from '../utils/bearer'
import { publicBaseUrl, useConfig } from '../utils/config'
import type { Scope } from '../services/scope'
import { TOOLS } from './tools'
import type { ToolDefinition } from './define'
import { describeFailure } from '../utils/failures'

/**
 * The MCP endpoint as a framework-free Request → Response function (server/routes/mcp.ts adapts it): stateless,
 * JSON responses, both protocol eras of the official SDK, `read` API keys, and the eleven read-only tools.
 */

const INSTRUCTIONS = 'Read-only access to the test results this API key may see. Start with list_projects; then list_runs / get_run for a red CI run, list_clusters / get_cluster / get_cluster_diagnosis for root causes, list_flaky_tests / get_test_case for flaky tests. Ids in every result are the ids the next tool takes; lists are newest first and page with nextCursor; dates are ISO 8601.'
const MAX_BODY = 1_048_576
/** About 8k tokens: the hard cap of one tool result. */
const MAX_RESULT_CHARS = 30_000
/** Longer strings are cut in lists; the marker names the tool that returns them whole. */
const MAX_STRING_CHARS = 4_000

/** What a model calls next when an id is unknown: the services say what is missing, this door says where ids come from. */
const NEXT_STEP: Record<string, string> = {
  project_not_found: 'list_projects (or the projects page) shows the ones you can read.',
  run_not_found: 'list_runs gives the ids of a project\'s runs.',
  test_case_not_found: 'get_run, list_failed_cases and list_flaky_tests give test case ids.',
  cluster_not_found: 'list_clusters gives cluster ids.',
  diagnosis_not_found: 'get_cluster_diagnosis takes a cluster id from list_clusters.',
}

/** Where the whole text of an error the services clipped (`errorTruncated`) is, per tool. */
const clippedErrorMarker = (tool: string) =>
  ` [truncated: ${tool === 'get_test_case' ? 'lastError has the newest whole' : 'get_test_case has the whole error'}]`

function enabledTools(): ToolDefinition[] {
  const { enabled, disabled } = useConfig().tools
  return (TOOLS as ToolDefinition[]).filter(t => (!enabled.size || enabled.has(t.name)) && !disabled.has(t.name))
}

/**
 * Compact JSON for a model: nulls, empty strings and empty arrays/objects omitted, very long strings cut, and a
 * clipped error message (`errorTruncated`) ends with a marker naming the tool that has it whole.
 */
function compact(value: unknown, tool: string): unknown {
  if (value === null || value === undefined || value === '') return undefined
  if (typeof value === 'string') {
    // the context bundle has its own token budget and is returned whole
    return value.length > MAX_STRING_CHARS && tool !== 'get_cluster_context' ? `${value.slice(0, MAX_STRING_CHARS)}… [truncated: ${tool === 'get_cluster_context' ? 'the bundle is capped by its token budget' : 'get_test_case returns the newest error whole'}]` : value
  }
  if (Array.isArray(value)) {
    const items = value.map(v => compact(v, tool)).filter(v => v !== undefined)
    return items.length ? items : undefined
  }
  if (typeof value === 'object') {
    const { errorTruncated, ...fields } = value as Record<string, unknown>
    if (errorTruncated === true && typeof fields.errorMessage === 'string') fields.errorMessage += clippedErrorMarker(tool)
    else if (errorTruncated !== undefined) fields.errorTruncated = errorTruncated
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(fields)) {
      const c = compact(v, tool)
      if (c !== undefined) out[k] = c
    }
    return Object.keys(out).length ? out : undefined
  }
  return value
}

/**
 * The result as compact JSON under the hard cap. A page that would exceed it keeps its first items and says so
 * (its cursor is dropped, so paging never skips the items that did not fit: call again with a smaller limit).
 */
function render(result: unknown, tool: string): string {
  type PageLike = { items: unknown[], nextCursor?: string, truncated?: string }
  const value = compact(result, tool) as { items?: unknown[], results?: PageLike } | undefined ?? {}
  let text = JSON.stringify(value)
  const page = (Array.isArray(value.items) ? value : Array.isArray(value.results?.items) ? value.results : null) as PageLike | null
  if (text.length > MAX_RESULT_CHARS && page) {
    const total = page.items.length
    while (text.length > MAX_RESULT_CHARS && page.items.length > 1) {
      page.items = page.items.slice(0, Math.ceil(page.items.length / 2))
      delete page.nextCursor
      page.truncated = `${page.items.length} of ${total} items shown to stay under ~8k tokens: call ${tool} again with limit=${page.items.length} and page with the cursor it returns`
      text = JSON.stringify(value)
    }
  }
  return text.length <= MAX_RESULT_CHARS ? text : `${text.slice(0, MAX_RESULT_CHARS)}… [cut at ~8k tokens: call ${tool} with narrower arguments]`
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

function buildServer(scope: Scope): McpServer {
  // the tool list is fixed for the life of the process: never announce list_changed notifications that cannot come
  const server = new McpServer({ name: 'proofdeck', title: 'Proofdeck', version: '0.1.0' }, { instructions: INSTRUCTIONS, capabilities: { tools: { listChanged: false } } })
  for (const tool of enabledTools()) {
    server.registerTool(tool.name, {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.input,
      annotations: { readOnlyHint: true },
    }, async (args: unknown) => {
      try {
        return { content: [{ type: 'text' as const, text: render(await tool.run(scope, args as never), tool.name) }] }
      }
      catch (err) {
        return { content: [{ type: 'text' as const, text: toolError(err, tool.name) }], isError: true }
      }
    })
  }
  return server
}

const scopeOf = (authInfo: AuthInfo | undefined) => authInfo?.extra?.scope as Scope

const modern = createMcpHandler(({ authInfo }) => buildServer(scopeOf(authInfo)), { legacy: 'reject', responseMode: 'json' })

async function legacy(request: Request, opts: { authInfo: AuthInfo, parsedBody?: unknown }): Promise<Response> {
  const server = buildServer(scopeOf(opts.authInfo))
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
  await server.connect(transport)
  try {
    return await transport.handleRequest(request, opts)
  }
  finally {
    void transport.close()
    void server.close()
  }
}

const NO_STORE = { 'cache-control': 'no-store' }
function rpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }), {
    status, headers: { 'content-type': 'application/json', ...NO_STORE, ...headers },
  })
}

/**
 * The one origin a web page may call /mcp from: PROOFDECK_PUBLIC_URL's when set, else the request's own. Only the
 * configured origin protects against DNS rebinding, since a rebinding page controls both the Host header (from which
 * the request's origin is derived) and its Origin.
 */
function allowedOrigin(request: Request): string {
  return new URL(publicBaseUrl(new URL(request.url).origin)).origin
}

/**
 * The body as text when it is at most `limit` bytes, else null; counted as it streams in, so a long chunked body is
 * never held whole. Past the limit the rest is read and dropped in the background (as nginx's lingering close), so
 * the client reads the 413 instead of a reset.
 */
async function readBodyWithin(request: Request, limit: number): Promise<string | null> {
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return Buffer.concat(chunks, size).toString('utf8')
    size += value.byteLength
    if (size > limit) {
      void drain(reader)
      return null
    }
    chunks.push(value)
  }
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done) { /* dropped */ }
  }
  catch { /* the client went away: nothing left to drop */ }
}

/** An answer given without reading the body: the body is still dropped as it arrives, never queued up in memory. */
function unread(request: Request, response: Response): Response {
  if (request.body && !request.body.locked) void drain(request.body.getReader())
  return response
}

export async function mcpEndpoint(request: Request): Promise<Response> {
  const origin = request.headers.get('origin')
  if (origin && origin !== allowedOrigin(request)) return unread(request, rpcError(403, -32600, `Requests from origin ${origin} are refused: MCP clients call this endpoint directly, not from web pages.`))
  if (request.method !== 'POST') return unread(request, rpcError(405, -32000, 'Method not allowed: this MCP endpoint is stateless and answers POST only.', { allow: 'POST' }))

  const keysUrl = `${publicBaseUrl(new URL(request.url).origin)}${links.apiKeys()}`
  const check = await checkBearer(request.headers.get('authorization'), 'read', keysUrl)
  // a key without the read scope is a 401 here too: MCP clients react to 401 by asking for a new key, not to 403
  if (!check.ok) return unread(request, rpcError(401, -31001, check.message, { 'www-authenticate': check.challenge ?? 'Bearer realm="proofdeck"' }))

  const tooLarge = () => rpcError(413, -32600, 'Request body too large: the limit is 1 MB.')
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY) return unread(request, tooLarge())
  const raw = await readBodyWithin(request, MAX_BODY)
  if (raw === null) return tooLarge()
  let parsedBody: unknown
  try {
    parsedBody = raw ? JSON.parse(raw) : undefined
  }
  catch { /* the SDK answers 400 -32700 */ }

  const headers = new Headers(request.headers)
  if (!(headers.get('accept') ?? '').includes('text/event-stream')) headers.set('accept', 'application/json, text/event-stream')
  const req = new Request(request.url, { method: 'POST', headers, body: raw })
  const authInfo: AuthInfo = { token: check.scope.keyId ?? '', clientId: check.scope.keyId ?? '', scopes: ['read'], extra: { scope: check.scope } }
  const opts = { authInfo, ...(parsedBody !== undefined && { parsedBody }) }
  const response = (await isLegacyRequest(req, parsedBody)) ? await legacy(req, opts) : await modern.fetch(req, opts)
  response.headers.set('cache-control', 'no-store')
  return (parsedBody as { method?: string } | undefined)?.method === 'tools/list' ? slimToolList(response) : response
}

/** tools/list is re-sent to the model on every turn: drop the per-tool JSON Schema dialect URL, the default anyway. */
async function slimToolList(response: Response): Promise<Response> {
  if (!response.headers.get('content-type')?.includes('application/json')) return response
  const body = await response.json() as { result?: { tools?: { inputSchema?: Record<string, unknown> }[] } }
  for (const tool of body.result?.tools ?? []) delete tool.inputSchema?.$schema
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  return new Response(JSON.stringify(body), { status: response.status, headers })
}
