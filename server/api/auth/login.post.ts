import { loginBodySchema } from '#shared/schemas/auth'
import { verifyCredentials } from '../../services/users'
import { tooManyRequests, unauthorized } from '../../utils/errors'
import { clientAddress, createBackoff, createRateLimiter } from '../../utils/rate-limit'
import { validator } from '../../utils/validate'

// No hard lock on an account (anyone could lock out the admin): wrong passwords slow down the client that sends them,
// per account, 1 s, 2 s, 4 s… after five; the right password from another client still works at once.
const perAccountAndClient = createBackoff({ free: 5, capMs: 5 * 60_000, forgetMs: 60 * 60_000 })
// And one client guessing across many accounts is stopped after 50 failures in 15 minutes.
const perClient = createRateLimiter(50, 15 * 60_000)

const seconds = (n: number) => `${n} second${n === 1 ? '' : 's'}`

export default defineEventHandler(async (event) => {
  const { email, password } = await readValidatedBody(event, validator(loginBodySchema))
  const client = clientAddress(event)
  const key = `${email.toLowerCase()}\n${client}`
  const wait = Math.max(perAccountAndClient.wait(key), perClient.wait(client))
  if (wait) {
    setResponseHeader(event, 'retry-after', wait)
    throw tooManyRequests(`Too many failed sign-ins from your network. Try again in ${seconds(wait)}.`)
  }
  const signedIn = await verifyCredentials(email, password)
  if (!signedIn) {
    perAccountAndClient.fail(key)
    perClient.hit(client)
    throw unauthorized('Wrong email or password.', 'bad_credentials')
  }
  perAccountAndClient.reset(key)
  await startSession(event, signedIn)
  return { user: signedIn.user }
})
