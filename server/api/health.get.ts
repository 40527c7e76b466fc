import { checkHealth } from '../services/health'

export default defineEventHandler(async (event) => {
  const health = await checkHealth()
  if (health.db !== 'ok') setResponseStatus(event, 503)
  setHeader(event, 'cache-control', 'no-store')
  return health
})
