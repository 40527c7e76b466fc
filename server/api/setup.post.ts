import { setupBodySchema } from '#shared/schemas/auth'
import { completeSetup } from '../services/users'
import { validBody } from '../utils/validate'

export default defineEventHandler(async (event) => {
  const body = await validBody(event, setupBodySchema)
  const admin = await completeSetup(body)
  await startSession(event, admin)
  setResponseStatus(event, 201)
  return { user: admin.user }
})
