import { loginBodySchema } from '#shared/schemas/auth'
import { verifyCredentials } from '../../services/users'
import { tooManyRequests, unauthorized } from '../../utils/errors'
import { createRateLimiter } from '../../utils/rate-limit'
import { validator } from '../../utils/validate'

const perAccount = createRateLimiter(10, 15 * 60_000)
const perIp = createRateLimiter(50, 15 * 60_000)

export default defineEventHandler(async (event) => {
  const { email, password } = await readValidatedBody(event, validator(loginBodySchema))
  const wait = Math.max(perAccount.hit(email), perIp.hit(getRequestIP(event) ?? 'unknown'))
  if (wait) {
    setResponseHeader(event, 'retry-after', wait)
    throw tooManyRequests(`Too many sign-in attempts. Try again in ${Math.ceil(wait / 60)} minute(s).`)
  }
  const signedIn = await verifyCredentials(email, password)
  if (!signedIn) throw unauthorized('Wrong email or password.', 'bad_credentials')
  perAccount.reset(email)
  await startSession(event, signedIn)
  return { user: signedIn.user }
})
