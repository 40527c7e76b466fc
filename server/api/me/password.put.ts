import { changePasswordBodySchema } from '#shared/schemas/users'
import { changeOwnPassword } from '../../services/users'
import { tooManyRequests } from '../../utils/errors'
import { createRateLimiter } from '../../utils/rate-limit'
import { validator } from '../../utils/validate'

// A stolen session must not become a way to guess the current password.
const perUser = createRateLimiter(10, 15 * 60_000)

/** Changes the caller's own password (the current one is required); other sessions end, this one continues. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const body = await readValidatedBody(event, validator(changePasswordBodySchema))
  if (perUser.hit(scope.userId)) throw tooManyRequests('Too many password changes. Try again in 15 minutes.')
  const changed = await changeOwnPassword(scope, body)
  await startSession(event, changed)
  return { user: changed.user }
})
