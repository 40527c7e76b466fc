import { ConfigError, linksBaseUrl, nodeVersionProblem, useConfig } from '../utils/config'

/**
 * The server's listen failing (a port in use, a HOST that is no address here) is an uncaught error, which Nitro logs
 * and lives on after: a process with no socket, its database open and its jobs running, that a supervisor takes for
 * up. It stops instead, with a sentence.
 */
function exitIfCannotListen(err: NodeJS.ErrnoException & { hostname?: string }) {
  const host = process.env.HOST || process.env.NITRO_HOST
  const why = err.syscall === 'listen'
    ? `cannot listen on ${host || 'every address'}, port ${process.env.PORT || process.env.NITRO_PORT || 3000}: ${
      err.code === 'EADDRINUSE' ? 'another process holds the port; set PORT to a free one or stop the other' : err.code === 'EACCES' ? 'this user may not use the port; set PORT above 1023' : err.message}.`
    : err.syscall === 'getaddrinfo' && host && err.hostname === host ? `HOST "${host}" is no address or name of this machine (${err.code}).` : null
  if (!why) return
  console.error(`[proofdeck] cannot start: ${why}`)
  process.exit(1)
}

/**
 * Checks the Node version and parses the environment before anything else runs: too old a Node, or a wrong value,
 * stops the start with a sentence (naming the variable). Each request then carries the base of the links, which the
 * pages read for the links and snippets they show.
 */
export default defineNitroPlugin((nitroApp) => {
  if (import.meta.prerender) return
  const tooOld = nodeVersionProblem(process.versions.node)
  if (tooOld) {
    console.error(`[proofdeck] cannot start: ${tooOld}`)
    process.exit(1)
  }
  try {
    useConfig()
  }
  catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`[proofdeck] cannot start: ${err.message}`)
    process.exit(1)
  }
  process.on('uncaughtException', exitIfCannotListen)
  nitroApp.hooks.hook('request', (event) => {
    event.context.publicBaseUrl = linksBaseUrl(getRequestURL(event).origin)
  })
})
