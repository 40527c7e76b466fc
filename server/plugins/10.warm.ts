import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { registerStartupTask } from '../utils/startup'

/**
 * Loads the built server's code before the server reports healthy. The production build splits it into chunks (the Vue
 * app, each page and component, each API route) that Node otherwise imports on the first request that needs them:
 * about a second of the main thread, spent while the first pages, MCP calls and uploads of a fresh instance wait
 * (under the mixed load at 34.5 req/s their backlog took 5–10 s to clear; BENCHMARKS.md, "Mixed load, pages under
 * uploads"). Only imports: nothing runs that a first request would not run anyway. Dev serves its code from Vite and
 * has no chunks to load.
 */
export default defineNitroPlugin(() => {
  if (import.meta.dev || import.meta.prerender) return
  registerStartupTask((async () => {
    // Nitro's bundle reads import.meta.url as the server entry's, which it sets once the plugins have run
    await new Promise(resolve => setImmediate(resolve))
    const chunks = builtChunks(fileURLToPath(import.meta.url))
    if (!chunks.length) return
    const started = Date.now()
    for (const file of chunks) await import(/* @vite-ignore */ pathToFileURL(file).href)
    console.info(`[proofdeck] loaded ${chunks.length} server chunks in ${Date.now() - started} ms`)
  })().catch((err: Error) => console.error(`[proofdeck] loading the server chunks failed: ${err.message}`)))
})

/** Where the build keeps code under `server/chunks/`: the Vue app and its pages, the routes, and what they share. */
const CODE = ['build', 'routes', '_']

/**
 * The `.mjs` files of the build's code folders (`chunks/raw`, the migrations' text, is left to load when read). The
 * bundle names this module by the server's entry (`server/index.mjs`), beside `chunks/`; none outside a build.
 */
function builtChunks(self: string): string[] {
  const chunks = join(dirname(self), 'chunks')
  if (!existsSync(join(chunks, 'nitro'))) return []
  return CODE.map(sub => join(chunks, sub)).filter(d => existsSync(d))
    .flatMap(d => (readdirSync(d, { recursive: true, encoding: 'utf8' })).filter(f => f.endsWith('.mjs')).map(f => join(d, f)))
}
