import type { Server } from 'node:http'

/**
 * How long an idle kept-alive connection stays open: longer than the load balancers' and clients' own idle timeouts
 * (AWS ALB and nginx 60 s), so the server is never the side that closes a connection a client is just reusing. With
 * Node's 5 s, a request sent on a connection idle for about 5 s met the server's close and failed with "socket hang
 * up" (ECONNRESET) in the client, or a 502 from the balancer.
 */
export const KEEP_ALIVE_SECONDS = 65

/**
 * Nitro makes its HTTP server after the plugins run and hands it to none, so the first request sets it on the server
 * its socket came in on. Node reads the value when a response ends, so that first connection keeps it too.
 */
export default defineNitroPlugin((nitroApp) => {
  if (import.meta.prerender) return
  let set = false
  nitroApp.hooks.hook('request', (event) => {
    if (set) return
    const server = (event.node.req.socket as { server?: Server } | undefined)?.server
    if (!server) return
    server.keepAliveTimeout = KEEP_ALIVE_SECONDS * 1000
    // Node's advice: the headers timeout above the keep-alive one
    server.headersTimeout = Math.max(server.headersTimeout, (KEEP_ALIVE_SECONDS + 1) * 1000)
    set = true
  })
})
