import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The report parser's worker source: server/workers/parse.ts and what it imports, bundled into one CommonJS script
 * that `new Worker(code, { eval: true })` runs (Nitro bundles the server into chunks a worker cannot load alone).
 */
async function bundleParseWorker(): Promise<string> {
  const { build } = await import('esbuild')
  const root = fileURLToPath(new URL('.', import.meta.url))
  const result = await build({
    entryPoints: [join(root, 'server/workers/parse.ts')],
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, minify: true, legalComments: 'none',
    plugins: [{
      name: 'shared-alias',
      setup: b => b.onResolve({ filter: /^#shared\// }, a => ({ path: join(root, 'shared', `${a.path.slice('#shared/'.length)}.ts`) })),
    }],
  })
  return `export default ${JSON.stringify(result.outputFiles[0]!.text)}`
}

/**
 * `nuxt dev` without NUXT_SESSION_PASSWORD: a generated secret kept next to the embedded database
 * (`.data/session-secret` by default), so restarts keep sessions. Set before nuxt-auth-utils runs, which would
 * otherwise append a secret of its own to `.env`. Never used by `nuxt build`: production must be given one.
 */
function devSessionPassword(rootDir: string): string {
  const dataDir = process.env.PROOFDECK_DATA_DIR?.startsWith('memory://') ? undefined : process.env.PROOFDECK_DATA_DIR
  const file = join(dirname(resolve(rootDir, dataDir || '.data/pglite')), 'session-secret')
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : ''
  if (kept.length >= 32) return kept
  const secret = randomBytes(32).toString('base64url')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${secret}\n`, { mode: 0o600 })
  console.info(`[proofdeck] development session secret generated in ${file}`)
  return secret
}

// Every answer carries these. Nuxt's SSR payload and hydration are inline scripts without a nonce, hence
// 'unsafe-inline' for scripts; everything else is our own origin only. 'self' in connect-src also covers the
// same-host websocket `nuxt dev` uses for hot reload.
const CSP = [
  `default-src 'self'`, `script-src 'self' 'unsafe-inline'`, `style-src 'self' 'unsafe-inline'`, `img-src 'self' data: blob:`,
  `font-src 'self' data:`, `connect-src 'self'`, `object-src 'none'`, `base-uri 'self'`, `form-action 'self'`, `frame-ancestors 'none'`,
].join('; ')
// The API reference pages load their viewer from jsDelivr (they show the OpenAPI document, no data).
const DOCS_CSP = CSP.replace(/(script-src|style-src|font-src|img-src) 'self'/g, `$1 'self' https://cdn.jsdelivr.net`)
// The Playwright trace viewer (playwright-core's static build, served at /trace-viewer/): its own service worker,
// web workers and an iframe of the recorded page snapshots, all same-origin; it loads traces only from our origin.
const TRACE_VIEWER_CSP = CSP.replace(`frame-ancestors 'none'`, `frame-ancestors 'self'; frame-src 'self' blob: data:; worker-src 'self' blob:`)
  .replace(`img-src 'self' data: blob:`, `img-src 'self' data: blob:; media-src 'self' blob:`)
const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-frame-options': 'DENY',
}

export default defineNuxtConfig({
  modules: [
    // The address `nuxt dev` listens at (any --port/--host), for the setup link the server prints: runtimeConfig.devOrigin,
    // set through its NUXT_ variable before the Nitro worker (which copies the environment) starts.
    (_options, nuxt) => {
      if (nuxt.options.dev) nuxt.hook('listen', (_server, listener: { url?: string }) => {
        if (listener.url) process.env.NUXT_DEV_ORIGIN = new URL(listener.url).origin
      })
    },
    (_options, nuxt) => {
      if (!nuxt.options.dev || process.env.NUXT_SESSION_PASSWORD) return
      nuxt.options.runtimeConfig.session = Object.assign(
        nuxt.options.runtimeConfig.session ?? {},
        { password: devSessionPassword(nuxt.options.rootDir) },
      )
    },
    '@nuxt/ui', 'nuxt-auth-utils', '@nuxt/eslint',
  ],
  devtools: { enabled: false },
  app: { head: { htmlAttrs: { lang: 'en' } } },
  css: ['~/assets/css/main.css'],
  // @nuxt/fonts would try fonts.google.com and friends at every build; this machine has no internet.
  ui: { fonts: false },
  runtimeConfig: {
    session: { maxAge: 60 * 60 * 24 * 14 },
    devOrigin: '',
  },
  dir: { app: 'app' },
  // The design card wants pages/, components/, … at the top level rather than under app/.
  srcDir: '.',
  routeRules: {
    '/**': { headers: SECURITY_HEADERS },
    // session and key answers must not sit in a shared or browser cache; a handler may still say otherwise
    '/api/**': { headers: { 'cache-control': 'no-store' } },
    '/mcp': { headers: { 'cache-control': 'no-store' } },
    '/api/docs': { headers: { 'content-security-policy': DOCS_CSP } },
    '/_swagger': { headers: { 'content-security-policy': DOCS_CSP } },
    '/trace-viewer/**': { headers: { 'content-security-policy': TRACE_VIEWER_CSP, 'x-frame-options': 'SAMEORIGIN' } },
  },
  // NuxtLink prefetched every linked page's JS as soon as the link scrolled into view: the sidebar alone pulled the
  // settings forms (zod, selects, number inputs) into every first load, about 70 KB gzip. Hover and focus still prefetch.
  experimental: { defaults: { nuxtLink: { prefetchOn: { visibility: false, interaction: true } } } },
  compatibilityDate: '2025-07-15',
  nitro: {
    // Migrations travel inside the server bundle so `.output` runs anywhere (server/db/migrate.ts reads them).
    // …and so does the CLI, served as an npm tarball at /cli.tgz (server/routes/cli.tgz.get.ts).
    serverAssets: [{ baseName: 'migrations', dir: '../drizzle' }, { baseName: 'cli', dir: '../cli' }],
    // The Playwright trace viewer, as playwright-core ships it: traces open in the app itself, never on an outside site.
    publicAssets: [{ dir: fileURLToPath(new URL('node_modules/playwright-core/lib/vite/traceViewer', import.meta.url)), baseURL: '/trace-viewer', maxAge: 3600 }],
    // The report parser runs on worker threads (server/utils/parser.ts): its bundled source, evaluated by each worker.
    virtual: { '#parse-worker': bundleParseWorker },
    // Any /api path no route serves answers a JSON 404, not the sign-in page. Registered per method (not as
    // server/api/[...].ts): a catch-all with only a default method made every typed $fetch of a dynamic API path unknown.
    handlers: (['get', 'post', 'put', 'patch', 'delete'] as const)
      .map(method => ({ route: '/api/**', method, handler: fileURLToPath(new URL('server/handlers/api-not-found.ts', import.meta.url)) })),
    experimental: { openAPI: true },
    openAPI: {
      meta: { title: 'Proofdeck API', description: 'Upload test reports and read runs, tests and failure clusters.', version: '1' },
      production: 'runtime',
      route: '/api/_openapi.json',
      ui: { scalar: { route: '/api/docs' } },
    },
  },
  // The menus, dialogs and popovers of the layout (every page loads them) stay one chunk: split by which page uses
  // which of them, they became four, and the per-chunk overhead pushed pages past their first-load JS budget.
  vite: {
    // Pre-bundled at start: found only at the first page that imports them, each made Vite reload the page (the first
    // `nuxt dev` visit to the setup page reloaded and lost the form).
    optimizeDeps: { include: ['zod', 'chart.js', 'vue-chartjs'] },
    build: {
      rollupOptions: {
        output: {
          manualChunks: id => /\/reka-ui\/dist\/(Menu|DropdownMenu|Popper|Dialog|DismissableLayer|FocusScope|Collapsible|Accordion)\//.test(id) ? 'overlays' : undefined,
        },
      },
    },
  },
  typescript: { strict: true },
  telemetry: false,
  eslint: { config: { stylistic: true } },
  icon: { serverBundle: { collections: ['lucide'] } },
})
