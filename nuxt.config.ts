export default defineNuxtConfig({
  modules: ['@nuxt/ui', 'nuxt-auth-utils', '@nuxt/eslint'],
  devtools: { enabled: false },
  css: ['~/assets/css/main.css'],
  // @nuxt/fonts would try fonts.google.com and friends at every build; this machine has no internet.
  ui: { fonts: false },
  runtimeConfig: {
    session: { maxAge: 60 * 60 * 24 * 14 },
  },
  dir: { app: 'app' },
  // The design card wants pages/, components/, … at the top level rather than under app/.
  srcDir: '.',
  compatibilityDate: '2025-07-15',
  nitro: {
    // Migrations travel inside the server bundle so `.output` runs anywhere (server/db/migrate.ts reads them).
    serverAssets: [{ baseName: 'migrations', dir: '../drizzle' }],
    experimental: { openAPI: true },
    openAPI: {
      meta: { title: 'Proofdeck API', description: 'Upload test reports and read runs, tests and failure clusters.', version: '1' },
      production: 'runtime',
      route: '/api/_openapi.json',
      ui: { scalar: { route: '/api/docs' } },
    },
  },
  // NuxtLink prefetched every linked page's JS as soon as the link scrolled into view: the sidebar alone pulled the
  // settings forms (zod, selects, number inputs) into every first load, about 70 KB gzip. Hover and focus still prefetch.
  experimental: { defaults: { nuxtLink: { prefetchOn: { visibility: false, interaction: true } } } },
  typescript: { strict: true },
  telemetry: false,
  eslint: { config: { stylistic: true } },
  icon: { serverBundle: { collections: ['lucide'] } },
})
