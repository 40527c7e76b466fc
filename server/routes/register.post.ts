/** The dynamic client registration endpoint OAuth-capable clients fall back to: a readable refusal. */
export default defineEventHandler((event) => {
  setResponseStatus(event, 404)
  return { error: 'invalid_request', error_description: 'This server does not use OAuth. Add the header "Authorization: Bearer pd_<key>" (create a read key under Settings → API keys).' }
})
