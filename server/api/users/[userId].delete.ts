import { userParamsSchema } from '#shared/schemas/users'
import { deleteUser } from '../../services/users'
import { validParams } from '../../utils/validate'

/** Deletes a user with their memberships and API keys (admins only). */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { userId } = await validParams(event, userParamsSchema)
  return deleteUser(scope, userId)
})
