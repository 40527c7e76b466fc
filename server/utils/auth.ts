import type { H3Event } from 'h3'
import type { ApiKeyScope } from '#shared/constants'
import { resolveSessionUser, type AuthenticatedUser } from '../services/users'
import type { Scope } from '../services/scope'
import { checkBearer } from './bearer'
import { publicBaseUrl } from './config'
import { forbidden, unauthorized } from './errors'

/**
 * The session's user and projects, re-read from the database on every request so a deleted or deactivated
 * user, a changed role or a changed password counts at once. Memoised per request.
 */
async function sessionUser(event: H3Event) {
  const cached = event.context.proofdeckUser as Awaited<ReturnType<typeof resolveSessionUser>> | undefined
  if (cached !== undefined) return cached
  const session = await getUserSession(event)
  const found = session.user ? await resolveSessionUser(session.user.id, session.secure?.passwordVersion) : null
  event.context.proofdeckUser = found
  return found
}

/** The session user's scope: what the dashboard API filters by. */
export async function requireUserScope(event: H3Event): Promise<Scope> {
  const found = await sessionUser(event)
  if (!found) throw unauthorized('Sign in to continue.')
  const { user, projectIds } = found
  return {
    userId: user.id, role: user.role,
    projectIds: user.role === 'admin' ? null : projectIds,
    canIngest: user.role !== 'viewer', keyId: null, boundProjectId: null,
  }
}

/** Starts (or renews, after a password change) the session of a user who just proved who they are. */
export async function startSession(event: H3Event, { user, passwordVersion }: AuthenticatedUser): Promise<void> {
  await replaceUserSession(event, { user, secure: { passwordVersion }, loggedInAt: new Date().toISOString() })
}

/** A bearer API key with the needed scope, resolved to a Scope. Never creates a session. */
export async function requireApiKey(event: H3Event, needed: ApiKeyScope): Promise<Scope> {
  const keysUrl = `${publicBaseUrl(getRequestURL(event).origin)}/settings/keys`
  const check = await checkBearer(getRequestHeader(event, 'authorization'), needed, keysUrl)
  if (check.ok) return check.scope
  if (check.challenge) setResponseHeader(event, 'www-authenticate', check.challenge)
  throw check.status === 403 ? forbidden(check.message, check.code) : unauthorized(check.message, check.code)
}
