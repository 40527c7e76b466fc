import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './server'
import { createKey, login } from './client'

const run = promisify(execFile)
const CORPUS = resolve(__dirname, '../../../shared/corpus')

/** The README's CI step as a runner with nothing installed runs it: the CLI fetched from the server itself. */
describe('the CLI served at /cli.tgz', () => {
  let server: TestServer
  let cache: string
  beforeAll(async () => {
    server = await startServer()
    cache = mkdtempSync(join(tmpdir(), 'proofdeck-npx-'))
  })
  afterAll(async () => {
    await server?.stop()
    rmSync(cache, { recursive: true, force: true })
  })

  it('is an npm tarball anyone may fetch, cached by its ETag', async () => {
    const res = await fetch(`${server.url}/cli.tgz`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/gzip')
    const etag = res.headers.get('etag')!
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000)
    expect((await fetch(`${server.url}/cli.tgz`, { headers: { 'if-none-match': etag } })).status).toBe(304)
    // from a server URL copied with its trailing slash: sent to the one path (not to the sign-in page), query kept
    const doubled = await fetch(`${server.url}//cli.tgz?v=1`, { redirect: 'manual' })
    expect([doubled.status, doubled.headers.get('location')]).toEqual([308, '/cli.tgz?v=1'])
    expect((await fetch(`${server.url}///cli.tgz`)).headers.get('etag')).toBe(etag)
    // never to another host: a backslash is a slash to a browser (`/\\evil.com`), sent as written by a raw client
    for (const path of ['//\\evil.com', '/\\evil.com/x', '///\\/evil.com']) {
      const location = await new Promise<string | undefined>((resolve, reject) => {
        const { hostname, port } = new URL(server.url)
        httpGet({ hostname, port, path }, (res) => {
          res.resume()
          resolve(res.headers.location)
        }).on('error', reject)
      })
      expect(location, path).toMatch(/^\/evil\.com/)
      expect(new URL(location!, 'https://proofdeck.example').host, path).toBe('proofdeck.example')
    }
  })

  it('npx --yes "$PROOFDECK_URL/cli.tgz" upload … runs the server\'s own version and uploads with the receipt link', async () => {
    const { key } = await createKey(server, await login(server), { scopes: ['ingest'] })
    const env = { PATH: process.env.PATH!, HOME: cache, npm_config_cache: join(cache, 'npm'), npm_config_update_notifier: 'false', PROOFDECK_URL: server.url, PROOFDECK_TOKEN: key }
    // PROOFDECK_URL as copied from a browser, with its trailing slash: the documented command still works
    const npx = (...args: string[]) => run('npx', ['--yes', `${server.url}//cli.tgz`, ...args], { env: { ...env, PROOFDECK_URL: `${server.url}/` }, cwd: cache })
    const version = await npx('--version')
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version)
    const upload = await npx('upload', `${CORPUS}/junit/junitxml__junit-basic.xml`, '--project', 'npx')
    expect(upload.stdout).toMatch(/npx: run #\d+ failed — 9 tests: 8 passed, 1 failed/)
    const link = upload.stdout.match(new RegExp(`${server.url}/runs/[0-9a-f-]{36}`))![0]
    expect((await fetch(link)).status).toBe(200)
  })
})
