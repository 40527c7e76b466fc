import { loginBodySchema } from '#shared/schemas/auth'
import { backoffFail, backoffWait, clearThrottle, hitLimit, limitWait, type Backoff, type WindowLimit } from '../../services/throttles'
import { verifyCredentials } from '../../services/users'
import { tooManyRequests, unauthorized } from '../../utils/errors'
import { clientAddress } from '../../utils/client-address'
import { validBody } from '../../utils/validate'

// No hard lock on an account (anyone could lock out the admin): wrong passwords slow down the client that sends them,
// per account, 1 s, 2 s, 4 s… after five; the right password from another client still works at once.
const perAccountAndClient: Backoff = { name: 'sign-in', free: 5, capMs: 5 * 60_000, forgetMs: 60 * 60_000 }
// And one client guessing across many accounts is stopped after 50 failures in 15 minutes.
const perClient: WindowLimit = { name: 'sign-in-client', limit: 50, windowMs: 15 * 60_000 }
// Both live in the database: every app instance behind a load balancer counts the same failures.

const seconds = (n: number) => `${n} second${n === 1 ? '' : 's'}`

export default defineEventHandler(async (event) => {
  const { email, password } = await validBody(event, loginBodySchema)
  const client = clientAddress(event)
  const key = `${email.toLowerCase()}\n${client}`
  const wait = Math.max(await backoffWait(perAccountAndClient, key), await limitWait(perClient, client))
  if (wait) {
    setResponseHeader(event, 'retry-after', wait)
    throw tooManyRequests(`Too many failed sign-ins from your network. Try again in ${seconds(wait)}.`)
  }
  const signedIn = await verifyCredentials(email, password)
  if (!signedIn) {
    await backoffFail(perAccountAndClient, key)
    await hitLimit(perClient, client)
    throw unauthorized('Wrong email or password.', 'bad_credentials')
  }
  await clearThrottle(perAccountAndClient, key)
  await startSession(event, signedIn)
  return { user: signedIn.user }
})
