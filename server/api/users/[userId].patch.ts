import { updateUserBodySchema, userParamsSchema } from '#shared/schemas/users'
import { updateUser } from '../../services/users'
import { validator } from '../../utils/validate'

/** Changes a user's name, role, project memberships or active state (admins only). */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { userId } = await getValidatedRouterParams(event, validator(userParamsSchema))
  const body = await readValidatedBody(event, validator(updateUserBodySchema))
  return updateUser(scope, userId, body)
})
