import { getRequestHeader, parseCookies, unsealSession, type H3Event, type Session } from 'h3'

/** How long an unsealed cookie is kept, and how many are: a page's render and the API reads it makes reuse one. */
const LIFETIME_MS = 30_000
const MAX_ENTRIES = 500
const unsealed = new Map<string, { session: Session, until: number }>()

/**
 * The session cookie unsealed (PBKDF2, AES-GCM and an HMAC) once per exact cookie value and kept half a minute,
 * instead of once for a page's server render and again for every API read it makes (each internal read is its own
 * request): about 5% of a page's CPU. Only what the cookie says is kept; whether its session still stands is asked
 * of the database on every request as before (server/utils/auth.ts, plugins/03.session.ts), so a signed-out or
 * revoked session is refused at once. An entry never outlives the session's own maxAge.
 */
export default defineNitroPlugin((nitroApp) => {
  const config = useRuntimeConfig().session as Parameters<typeof unsealSession>[1]
  const name = config.name ?? 'nuxt-session'
  const header = `x-${name.toLowerCase()}-session`
  nitroApp.hooks.hook('request', async (event) => {
    if (getRequestHeader(event, header) !== undefined) return
    const sealed = parseCookies(event)[name]
    if (!sealed || !config.password) return
    const session = await unsealOnce(event, config, sealed)
    if (!session) return
    // h3's getSession takes a session already in the context as this request's; a copy, since updates mutate it
    event.context.sessions ??= Object.create(null)
    event.context.sessions![name] = structuredClone(session)
  })
})

async function unsealOnce(event: H3Event, config: Parameters<typeof unsealSession>[1], sealed: string): Promise<Session | null> {
  const now = Date.now()
  const hit = unsealed.get(sealed)
  if (hit && hit.until > now) return hit.session
  if (hit) unsealed.delete(sealed)
  const opened = await unsealSession(event, config, sealed).catch(() => null)
  if (!opened?.id || !opened.createdAt) return null
  const session: Session = { id: opened.id, createdAt: opened.createdAt, data: opened.data ?? {} }
  const expires = config.maxAge ? session.createdAt + config.maxAge * 1000 : Infinity
  if (unsealed.size >= MAX_ENTRIES) unsealed.delete(unsealed.keys().next().value!)
  unsealed.set(sealed, { session, until: Math.min(now + LIFETIME_MS, expires) })
  return session
}
