import { mcpEndpoint } from '../mcp/endpoint'

/** The MCP endpoint (all methods, so GET and DELETE get a JSON 405 rather than the dashboard's HTML). */
export default defineEventHandler(event => mcpEndpoint(toWebRequest(event)))
