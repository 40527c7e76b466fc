import type { H3Event } from 'h3'
import type { ApiKeyScope } from '#shared/constants'
import { createSession, endSession } from '../services/sessions'
import { resolveSessionUser, type AuthenticatedUser, type SessionClaims } from '../services/users'
import type { Scope } from '../services/scope'
import { checkBearer } from './bearer'
import { linksBaseUrl } from './config'
import { forbidden, unauthorized } from './errors'
import { clientAddress } from './client-address'

/** What a sealed session says about itself: the session row, the user and the password version it began with. */
export function sessionClaims(
  session: { user?: { id: string }, secure?: Partial<{ sessionId: string, passwordVersion: string }> },
): SessionClaims | null {
  if (!session.user) return null
  return { userId: session.user.id, sessionId: session.secure?.sessionId, passwordVersion: session.secure?.passwordVersion }
}

/**
 * The session's user and projects, re-read from the database on every request (one query over the session row and
 * the user) so a signed-out or revoked session, a deleted or deactivated user, a changed role or a changed password
 * counts at once, on every instance. Memoised per request.
 */
async function sessionUser(event: H3Event) {
  const cached = event.context.proofdeckUser as SessionUserRead | undefined
  if (cached !== undefined) return cached
  const claims = sessionClaims(await getUserSession(event))
  const found = claims ? await readSessionUser(event, claims) : null
  event.context.proofdeckUser = found
  return found
}

type SessionUserRead = Awaited<ReturnType<typeof resolveSessionUser>>
type RenderContext = { proofdeckSessionReads?: Map<string, Promise<SessionUserRead>> }

/**
 * `resolveSessionUser`, once per page render: the API calls a server render makes in-process (the session, the
 * sidebar's projects, the page's reads; Nitro hands each the render's context) share one read of the same session,
 * where each made its own (six to eight per page). A request from outside has no render context and reads alone.
 */
export function readSessionUser(event: H3Event, claims: SessionClaims): Promise<SessionUserRead> {
  const render = (event.node.req as { __unenv__?: RenderContext }).__unenv__
  if (!render) return resolveSessionUser(claims)
  const reads = render.proofdeckSessionReads ??= new Map()
  const key = `${claims.userId}:${claims.sessionId}:${claims.passwordVersion}`
  const known = reads.get(key)
  if (known) return known
  const read = resolveSessionUser(claims)
  reads.set(key, read)
  // a read that failed (a pool timeout) is not the render's answer: the next API call reads again
  read.catch(() => reads.delete(key))
  return read
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

/**
 * Starts (or renews, after a password change) the session of a user who just proved who they are: a new row in the
 * sessions table, whose id the sealed cookie carries. A session this cookie held before is ended.
 */
export async function startSession(event: H3Event, { user, passwordVersion }: AuthenticatedUser): Promise<void> {
  const previous = sessionClaims(await getUserSession(event))?.sessionId
  if (previous) await endSession(previous)
  const sessionId = await createSession(user.id, {
    maxAgeSeconds: useRuntimeConfig(event).session.maxAge ?? 60 * 60 * 24 * 14,
    userAgent: getRequestHeader(event, 'user-agent') ?? null,
    ip: clientAddress(event),
  })
  await replaceUserSession(event, { user, secure: { sessionId, passwordVersion }, loggedInAt: new Date().toISOString() })
}

/** A bearer API key with the needed scope (or any one of several), resolved to a Scope. Never creates a session. */
export async function requireApiKey(event: H3Event, needed: ApiKeyScope | ApiKeyScope[]): Promise<Scope> {
  const keysUrl = `${linksBaseUrl(getRequestURL(event).origin)}/settings/keys`
  const check = await checkBearer(getRequestHeader(event, 'authorization'), needed, keysUrl)
  if (check.ok) return check.scope
  if (check.challenge) setResponseHeader(event, 'www-authenticate', check.challenge)
  throw check.status === 403 ? forbidden(check.message, check.code) : unauthorized(check.message, check.code)
}

/**
 * A reader by either door: a bearer API key with the read scope when the request carries one, else the session.
 * For reads a browser opens directly (an attachment in an <img>, the trace viewer's fetch) that CI may fetch too.
 */
export async function requireReadScope(event: H3Event): Promise<Scope> {
  return getRequestHeader(event, 'authorization') ? requireApiKey(event, 'read') : requireUserScope(event)
}
