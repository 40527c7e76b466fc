import { createUserBodySchema } from '#shared/schemas/users'
import { authorize } from '../../services/policy'
import { createUser } from '../../services/users'
import { validBody } from '../../utils/validate'

/** Creates a user (admins only). Without a password, one is generated and shown in this answer only. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  authorize(scope, 'manage_users') // before the body: a member gets the 403, not a remark on the email
  const body = await validBody(event, createUserBodySchema)
  const created = await createUser(scope, body)
  setResponseStatus(event, 201)
  setResponseHeader(event, 'cache-control', 'no-store')
  return created
})
