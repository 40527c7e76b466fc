import { apiKeyParamsSchema } from '#shared/schemas/auth'
import { revokeApiKey } from '../../services/api-keys'
import { validator } from '../../utils/validate'

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { keyId } = await getValidatedRouterParams(event, validator(apiKeyParamsSchema))
  return revokeApiKey(scope, keyId)
})
