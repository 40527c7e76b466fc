import { changePasswordBodySchema } from '#shared/schemas/users'
import { hitLimit, type WindowLimit } from '../../services/throttles'
import { changeOwnPassword } from '../../services/users'
import { tooManyRequests } from '../../utils/errors'
import { validBody } from '../../utils/validate'

// A stolen session must not become a way to guess the current password.
const perUser: WindowLimit = { name: 'password-change', limit: 10, windowMs: 15 * 60_000 }

/** Changes the caller's own password (the current one is required); other sessions end, this one continues. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const body = await validBody(event, changePasswordBodySchema)
  if (await hitLimit(perUser, scope.userId)) throw tooManyRequests('Too many password changes. Try again in 15 minutes.')
  const changed = await changeOwnPassword(scope, body)
  await startSession(event, changed)
  return { user: changed.user }
})
