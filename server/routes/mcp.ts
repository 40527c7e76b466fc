import { mcpEndpoint } from '../mcp/endpoint'

/**
 * The MCP endpoint (all methods, so GET and DELETE get a JSON 405 rather than the dashboard's HTML). A JSON answer is
 * written whole with its length: handed back as a Response, h3 pipes it through a web stream chunk by chunk, which
 * cost more than a simple tool's query. Anything else (a stream) passes through.
 */
export default defineEventHandler(async (event) => {
  const response = await mcpEndpoint(toWebRequest(event))
  if (!response.body || !response.headers.get('content-type')?.includes('application/json')) return response
  setResponseStatus(event, response.status)
  setResponseHeaders(event, Object.fromEntries(response.headers))
  return response.text()
})
