import { useConfig } from '../utils/config'
import { requestIsHttps } from '../utils/client-address'

const SECURE = /;\s*Secure(?=;|$)/i

/**
 * The session cookie is `Secure` when people reach the server over HTTPS: PROOFDECK_PUBLIC_URL is https, the
 * connection is TLS, or a trusted proxy says `X-Forwarded-Proto: https`. On plain HTTP (the usual first self-host at
 * http://<server-address>:3000) a browser drops a Secure cookie and nobody can sign in, so there the flag is taken
 * off the session cookie's Set-Cookie line; the start log (here) and the login page say the connection is not
 * encrypted, as Grafana does with its cookie setting.
 */
export default defineNitroPlugin((nitroApp) => {
  if (import.meta.prerender) return
  const { publicUrl } = useConfig()
  if (publicUrl?.startsWith('https:')) return
  if (!import.meta.dev) {
    console.info(`[proofdeck] ${publicUrl ? `PROOFDECK_PUBLIC_URL is ${publicUrl}, not https` : 'PROOFDECK_PUBLIC_URL is not set'}: `
      + 'requests over plain HTTP get a session cookie without the Secure flag, so signing in works at an http:// address, '
      + 'but passwords and sessions cross the network unencrypted. Beyond a trusted network, serve Proofdeck over HTTPS '
      + '(behind a TLS proxy listed in PROOFDECK_TRUSTED_PROXIES, or with PROOFDECK_PUBLIC_URL=https://…).')
  }
  const name = `${useRuntimeConfig().session?.name ?? 'nuxt-session'}=`
  const plain = (line: unknown) => typeof line === 'string' && line.startsWith(name) ? line.replace(SECURE, '') : line
  const strip = (value: unknown) => Array.isArray(value) ? value.map(plain) : plain(value)
  nitroApp.hooks.hook('request', (event) => {
    const res = event.node.res
    const set = res.setHeader.bind(res)
    const append = res.appendHeader.bind(res)
    // asked only of a response that sets a cookie: most (MCP calls, API reads) set none, and the proxy check is not free
    let https: boolean | undefined
    const cookie = <T>(key: string, value: T): T =>
      key.toLowerCase() === 'set-cookie' && !(https ??= requestIsHttps(event)) ? strip(value) as T : value
    res.setHeader = (key, value) => set(key, cookie(key, value))
    res.appendHeader = (key, value) => append(key, cookie(key, value))
  })
})
