import { createHash } from 'node:crypto'
import { npmTarball } from './tarball'

/** The CLI's files travel inside the server bundle (nuxt.config.ts serverAssets `cli`, from the repository's cli/). */
const EXECUTABLE = 'proofdeck.mjs'

let built: Promise<{ bytes: Buffer, etag: string }> | undefined

/** The cli/ package as an npm tarball, built once per process from the bundled files. */
export function cliTarball(): Promise<{ bytes: Buffer, etag: string }> {
  return built ??= (async () => {
    const storage = useStorage('assets:cli')
    const keys = await storage.getKeys()
    const entries = await Promise.all(keys.map(async (key) => {
      const path = key.replaceAll(':', '/')
      const raw = await storage.getItemRaw(key)
      const content = typeof raw === 'string' ? raw : new Uint8Array(raw as ArrayBuffer)
      return { path, content, executable: path === EXECUTABLE }
    }))
    if (!entries.some(e => e.path === 'package.json')) throw new Error('the CLI package is missing from the server bundle')
    const bytes = npmTarball(entries)
    return { bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` }
  })()
}
