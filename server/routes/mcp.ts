import type { IncomingHttpHeaders } from 'node:http'
import { mcpEndpoint, type McpRequest } from '../mcp/endpoint'

/** A header as the web's Headers.get gives it: absent is null, repeated values joined. */
function headerOf(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name]
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
}

/**
 * The MCP endpoint (all methods, so GET and DELETE get a JSON 405 rather than the dashboard's HTML), over a view of
 * node's request: building a web Request (headers, body stream, abort signal) per call cost a quarter of a simple
 * read's CPU, and only the SDK needs one. An answer is written whole with its length: handed back as a Response,
 * h3 pipes it through a web stream chunk by chunk, which cost more than a simple tool's query. A stream the SDK
 * answers with passes through.
 */
export default defineEventHandler(async (event) => {
  const { req } = event.node
  const request: McpRequest = {
    method: event.method,
    url: getRequestURL(event).href,
    header: name => headerOf(req.headers, name),
    headers: () => Object.keys(req.headers).map(name => [name, headerOf(req.headers, name)!]),
    body: req,
  }
  const answer = await mcpEndpoint(request)
  if (answer instanceof Response && (!answer.body || !answer.headers.get('content-type')?.includes('application/json'))) return answer
  setResponseStatus(event, answer.status)
  if (answer instanceof Response) {
    setResponseHeaders(event, Object.fromEntries(answer.headers))
    return answer.text()
  }
  setResponseHeaders(event, answer.headers)
  return answer.body
})
