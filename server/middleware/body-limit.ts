import { payloadTooLarge } from '../utils/errors'
import { readBodyWithin } from '../utils/upload'

/** The dashboard API's JSON bodies (sign-in, keys, users, settings, triage) are small; 1 MB is plenty. */
const MAX_JSON_BODY = 1_048_576
const PAYLOAD = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * h3 reads a body whole before anyone looks at its size, so a long chunked body to any route (sign-in needs no
 * key) could fill memory. Here the body of every /api route is read as it streams in, stopped with a 413 at 1 MB,
 * and handed to h3's readBody as already read. Uploads (/api/v1/runs) and /mcp apply their own limits while streaming.
 */
export default defineEventHandler(async (event) => {
  if (!PAYLOAD.has(event.method) || !event.path.startsWith('/api/') || event.path.startsWith('/api/v1/runs')) return
  const body = await readBodyWithin(event, MAX_JSON_BODY, () => payloadTooLarge('The request body is larger than 1 MB.'))
  // where h3 keeps a body it has read: readBody (and validBody through it) takes it from there
  ;(event.node.req as unknown as Record<symbol, Promise<Buffer>>)[Symbol.for('h3RawBody')] = Promise.resolve(body)
})
