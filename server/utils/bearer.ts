import type { ApiKeyScope } from '#shared/constants'
import { KEY_REFUSALS, resolveApiKeyEarly, type KeyCheck } from '../services/api-keys'
import type { Scope } from '../services/scope'

/**
 * The one reader of `Authorization: Bearer pd_…` for both doors that take API keys (the REST guard and /mcp):
 * the same parsing, the same refusal sentences and the same `WWW-Authenticate` challenge. The caller turns a
 * refusal into its own error shape (an h3 error, a JSON-RPC error).
 */
export type BearerCheck
  = | { ok: true, scope: Scope }
    | { ok: false, status: 401 | 403, code: string, message: string, challenge: string | null }

const REALM = 'Bearer realm="proofdeck"'

/** Where to get a key, as the end of a refusal sentence: `keysUrl` is the dashboard's API keys page. */
const keyHelp = (needed: ApiKeyScope[], keysUrl: string) =>
  `create a key with the "${needed.join('" or "')}" scope in Proofdeck under Settings → API keys (${keysUrl}) and send it as "Authorization: Bearer pd_…"`

export async function checkBearer(
  header: string | null | undefined, scopes: ApiKeyScope | ApiKeyScope[], keysUrl: string,
): Promise<BearerCheck> {
  return checkBearerEarly(header, scopes, keysUrl).now()
}

/**
 * checkBearer, and meanwhile the check the key's previous reading gives and its age (`early`, only when that one let
 * the key in): a caller may start work under the early scope, and must answer by `now()` when the two differ, unless
 * the reading is `current` (the key's answer now: see resolveApiKeyEarly).
 */
export function checkBearerEarly(
  header: string | null | undefined, scopes: ApiKeyScope | ApiKeyScope[], keysUrl: string,
): { early: { scope: Scope, ageMs: number, current: boolean } | undefined, now: () => Promise<BearerCheck> } {
  const needed = [scopes].flat()
  const token = (header ?? '').match(/^Bearer\s+(\S+)\s*$/i)?.[1]
  const help = keyHelp(needed, keysUrl)
  if (!token) {
    const missing: BearerCheck = { ok: false, status: 401, code: 'unauthorized', message: `An API key is required: ${help}.`, challenge: REALM }
    return { early: undefined, now: () => Promise.resolve(missing) }
  }
  const { early, now } = resolveApiKeyEarly(token, needed)
  return {
    early: early?.check.ok ? { scope: early.check.scope, ageMs: early.ageMs, current: early.current } : undefined,
    now: () => now().then(check => toBearerCheck(check, needed, help)),
  }
}

function toBearerCheck(check: KeyCheck, needed: ApiKeyScope[], help: string): BearerCheck {
  if (check.ok) return check
  if (check.reason === 'scope') {
    return { ok: false, status: 403, code: 'missing_scope', message: `This API key does not have the "${needed.join('" or "')}" scope: ${help}.`, challenge: null }
  }
  // The prefix only: it names the key to its owner (the keys page shows it) and cannot be used.
  console.warn(`[auth] refused API key ${check.prefix}…: ${check.reason}`)
  const why = KEY_REFUSALS[check.reason]
  return {
    ok: false, status: 401, code: 'invalid_api_key', message: `This API key ${why}: ${help}.`,
    challenge: `${REALM}, error="invalid_token", error_description="API key ${why}"`,
  }
}
