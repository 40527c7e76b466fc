import { userParamsSchema } from '#shared/schemas/users'
import { revokeUserSessions } from '../../../../services/users'
import { validParams } from '../../../../utils/validate'

/** Signs a user out everywhere (admins only): every session of theirs ends on every instance. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { userId } = await validParams(event, userParamsSchema)
  return revokeUserSessions(scope, userId)
})
