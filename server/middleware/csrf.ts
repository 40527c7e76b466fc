import { forbidden } from '../utils/errors'

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Cookie-authenticated mutations must come from our own pages. A browser says where a request comes from in
 * Sec-Fetch-Site, and counts the scheme there (a page on http:// of the same host is another site): anything but
 * `same-origin` (or `none`, typed or bookmarked) is refused. A client that does not send it is held to the Origin (or
 * Referer) matching the host.
 * Bearer-key routes (/api/v1, /mcp) carry no ambient credentials and are exempt, and so is a request with a key and
 * no cookie; a cookie beside a key is still checked (a made-up Authorization header let a cross-site request through,
 * and the cookie signed it in).
 */
export default defineEventHandler((event) => {
  if (SAFE.has(event.method) || !event.path.startsWith('/api/') || event.path.startsWith('/api/v1/')) return
  if (getRequestHeader(event, 'authorization')?.startsWith('Bearer ') && !getRequestHeader(event, 'cookie')) return
  const site = getRequestHeader(event, 'sec-fetch-site')
  if (site) {
    if (site === 'same-origin' || site === 'none') return
    throw refused()
  }
  const origin = getRequestHeader(event, 'origin') ?? getRequestHeader(event, 'referer')
  if (!origin) return // non-browser clients (curl, tests) send neither; browsers always send Origin on POST
  // a browser cannot send X-Forwarded-Host cross-site without a preflight (refused); a proxy that does not keep Host sets it
  const host = getRequestHeader(event, 'x-forwarded-host') ?? getRequestHeader(event, 'host')
  let originHost: string | undefined
  try {
    originHost = new URL(origin).host
  }
  catch {
    originHost = undefined
  }
  if (originHost !== host) throw refused()
})

const refused = () => forbidden('Cross-site request refused: this action must come from the Proofdeck dashboard.', 'bad_origin')
