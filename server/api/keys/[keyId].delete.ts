import { apiKeyParamsSchema } from '#shared/schemas/auth'
import { revokeApiKey } from '../../services/api-keys'
import { validParams } from '../../utils/validate'

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { keyId } = await validParams(event, apiKeyParamsSchema)
  return revokeApiKey(scope, keyId)
})
