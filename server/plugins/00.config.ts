import { ConfigError, publicBaseUrl, useConfig } from '../utils/config'

/**
 * Parses the environment before anything else runs: a wrong value stops the start with a sentence naming the
 * variable. Each request then carries the public base URL, which the pages read for the links and snippets they show.
 */
export default defineNitroPlugin((nitroApp) => {
  if (import.meta.prerender) return
  try {
    useConfig()
  }
  catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`[proofdeck] cannot start: ${err.message}`)
    process.exit(1)
  }
  nitroApp.hooks.hook('request', (event) => {
    event.context.publicBaseUrl = publicBaseUrl(getRequestURL(event).origin)
  })
})
