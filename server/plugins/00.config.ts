import { ConfigError, linksBaseUrl, nodeVersionProblem, useConfig } from '../utils/config'

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
  nitroApp.hooks.hook('request', (event) => {
    event.context.publicBaseUrl = linksBaseUrl(getRequestURL(event).origin)
  })
})
