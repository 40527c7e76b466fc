/**
 * A request's runtime config (`useRuntimeConfig(event)`, which Nuxt's renderer asks for on every page) as a copy of
 * the one Nitro built at start, instead of one rebuilt per request by walking every key and reading its environment
 * variable: about 1.5 ms of the main thread per page under load. The environment a production server starts with
 * is all it ever reads, so the values are the same; each request that asks still gets a copy of its own, made when it
 * first asks (most requests never do). Dev keeps Nitro's way (`nuxt dev` sets NUXT_DEV_ORIGIN once it listens).
 */
export default defineNitroPlugin((nitroApp) => {
  if (import.meta.dev) return
  const atStart = useRuntimeConfig()
  nitroApp.hooks.hook('request', (event) => {
    const nitro = event.context.nitro as { runtimeConfig?: unknown } | undefined
    if (!nitro || nitro.runtimeConfig) return
    let own: unknown
    Object.defineProperty(nitro, 'runtimeConfig', {
      configurable: true,
      enumerable: true,
      get: () => (own ??= structuredClone(atStart)),
      set: (value: unknown) => {
        own = value
      },
    })
  })
})
