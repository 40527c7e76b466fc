import { userParamsSchema } from '#shared/schemas/users'
import { deleteUser } from '../../services/users'
import { validator } from '../../utils/validate'

/** Deletes a user with their memberships and API keys (admins only). */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { userId } = await getValidatedRouterParams(event, validator(userParamsSchema))
  return deleteUser(scope, userId)
})
