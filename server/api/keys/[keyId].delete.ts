import { apiKeyParamsSchema } from '../../../shared/schemas/auth'
import { revokeApiKey } from '../../services/api-keys'
import { validator } from '../../utils/validate'

export default defineEventHandler(async (event) => {
  const user = await requireUser(event)
  const { keyId } = await getValidatedRouterParams(event, validator(apiKeyParamsSchema))
  return revokeApiKey(user, keyId)
})
