import { setupBodySchema } from '../../shared/schemas/auth'
import { completeSetup } from '../services/users'
import { validator } from '../utils/validate'

export default defineEventHandler(async (event) => {
  const body = await readValidatedBody(event, validator(setupBodySchema))
  const user = await completeSetup(body)
  await setUserSession(event, { user })
  setResponseStatus(event, 201)
  return { user }
})
