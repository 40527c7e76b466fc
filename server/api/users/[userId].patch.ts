import { updateUserBodySchema, userParamsSchema } from '#shared/schemas/users'
import { updateUser } from '../../services/users'
import { validBody, validParams } from '../../utils/validate'

/** Changes a user's name, role, project memberships or active state (admins only). */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { userId } = await validParams(event, userParamsSchema)
  const body = await validBody(event, updateUserBodySchema)
  return updateUser(scope, userId, body)
})
