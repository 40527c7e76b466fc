import { resetPasswordBodySchema, userParamsSchema } from '#shared/schemas/users'
import { resetUserPassword } from '../../../services/users'
import { validBody, validParams } from '../../../utils/validate'

/** Sets a new password for a user (admins only): generated and shown once unless one is given. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { userId } = await validParams(event, userParamsSchema)
  const body = await validBody(event, resetPasswordBodySchema)
  setResponseHeader(event, 'cache-control', 'no-store')
  return resetUserPassword(scope, userId, body)
})
