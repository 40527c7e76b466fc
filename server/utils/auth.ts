import type { H3Event } from 'h3'
import type { ApiKeyScope } from '../../shared/constants'
import type { SessionUser } from '../../shared/types/auth'
import { resolveApiKey } from '../services/api-keys'
import { findUser, listMembershipProjectIds } from '../services/users'
import type { Scope } from '../services/scope'
import { forbidden, unauthorized } from './errors'

/** The signed-in user (session cookie), re-read from the database so a deleted user or changed role counts now. */
export async function requireUser(event: H3Event): Promise<SessionUser> {
  const session = await getUserSession(event)
  const user = session.user ? await findUser(session.user.id) : null
  if (!user) throw unauthorized('Sign in to continue.')
  return user
}

export async function scopeOfUser(user: SessionUser): Promise<Scope> {
  return {
    userId: user.id, role: user.role,
    projectIds: user.role === 'admin' ? null : await listMembershipProjectIds(user.id),
    canRead: true, canIngest: user.role !== 'viewer', keyId: null, boundProjectId: null,
  }
}

/** The session user's scope: what the dashboard API filters by. */
export async function requireUserScope(event: H3Event): Promise<Scope> {
  return scopeOfUser(await requireUser(event))
}

const KEY_HELP = 'Create an API key in Proofdeck under Settings → API keys and send it as "Authorization: Bearer pd_…".'

/** A bearer API key with the needed scope, resolved to a Scope. Never creates a session. */
export async function requireApiKey(event: H3Event, needed: ApiKeyScope): Promise<Scope> {
  const header = getRequestHeader(event, 'authorization') ?? ''
  const match = header.match(/^Bearer\s+(\S+)\s*$/i)
  if (!match) {
    setResponseHeader(event, 'www-authenticate', 'Bearer realm="proofdeck"')
    throw unauthorized(`An API key is required. ${KEY_HELP}`)
  }
  const check = await resolveApiKey(match[1]!, needed)
  if (check.ok) return check.scope
  if (check.reason === 'scope') throw forbidden(`This API key does not have the "${needed}" scope. Create a key with that scope.`, 'missing_scope')
  console.warn(`[auth] refused API key ${check.prefix}…: ${check.reason}`)
  setResponseHeader(event, 'www-authenticate', `Bearer realm="proofdeck", error="invalid_token"`)
  const why = { malformed: 'is not a Proofdeck API key', unknown: 'is not valid', revoked: 'has been revoked', expired: 'has expired' }[check.reason]
  throw unauthorized(`This API key ${why}. ${KEY_HELP}`, 'invalid_api_key')
}
