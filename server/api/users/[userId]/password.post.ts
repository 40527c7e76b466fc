import { resetPasswordBodySchema, userParamsSchema } from '#shared/schemas/users'
import { resetUserPassword } from '../../../services/users'
import { validator } from '../../../utils/validate'

/** Sets a new password for a user (admins only): generated and shown once unless one is given. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { userId } = await getValidatedRouterParams(event, validator(userParamsSchema))
  const body = await readValidatedBody(event, validator(resetPasswordBodySchema))
  setResponseHeader(event, 'cache-control', 'no-store')
  return resetUserPassword(scope, userId, body)
})
