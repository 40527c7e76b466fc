/** OAuth discovery probes end on a readable JSON 404: this server uses API keys, not OAuth. */
export default defineEventHandler((event) => {
  setResponseStatus(event, 404)
  return { error: 'not_found', error_description: 'No OAuth here: this server uses API keys. Send "Authorization: Bearer pd_…" (Settings → API keys).' }
})
