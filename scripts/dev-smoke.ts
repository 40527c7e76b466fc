/**
 * npm run test:dev — the README's first command as a user runs it: `nuxt dev` on a fresh embedded database (the dev
 * server runs the app on a worker thread, unlike the built server the e2e suite starts), until /api/health answers,
 * the demo data is there and a report upload gets its receipt, without the dev server restarting. Prints one line
 * and exits 1 on any failure.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiKeyAs } from './lib/spawn-server'

const ADMIN = { email: 'dev-smoke@example.test', password: 'dev-smoke-password-1' }
const PORT = String(40_000 + Math.floor(Math.random() * 10_000))
const URL_ = `http://127.0.0.1:${PORT}`
const TIMEOUT_MS = 240_000

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, deadline: number): Promise<T> {
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${TIMEOUT_MS / 1000} s`)
    await new Promise(r => setTimeout(r, 1000))
  }
}

async function main() {
  const data = mkdtempSync(join(tmpdir(), 'proofdeck-dev-'))
  const child = spawn('npx', ['nuxt', 'dev', '--port', PORT, '--host', '127.0.0.1'], {
    env: { ...process.env, PROOFDECK_DATA_DIR: join(data, 'pglite'), PROOFDECK_ADMIN_EMAIL: ADMIN.email, PROOFDECK_ADMIN_PASSWORD: ADMIN.password, PROOFDECK_BCRYPT_COST: '4' },
    stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  })
  let log = ''
  child.stdout.on('data', (d: Buffer) => { log += d.toString() })
  child.stderr.on('data', (d: Buffer) => { log += d.toString() })
  const started = Date.now()
  const deadline = started + TIMEOUT_MS
  try {
    await waitFor('/api/health 200', async () => (await fetch(`${URL_}/api/health`)).status === 200 || undefined, deadline)
    const healthy = Date.now() - started
    const login = await fetch(`${URL_}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
    const cookie = login.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
    const runs = await waitFor('demo projects', async () => {
      const res = await fetch(`${URL_}/api/projects`, { headers: { cookie } })
      const projects = res.ok ? await res.json() as unknown[] : []
      return projects.length || undefined
    }, deadline)
    const key = await createApiKeyAs(URL_, ADMIN, ['ingest'])
    const upload = await fetch(`${URL_}/api/v1/runs?project=dev-smoke`, {
      method: 'POST', headers: { 'authorization': `Bearer ${key}`, 'content-type': 'application/xml' },
      body: '<testsuite name="s"><testcase classname="c" name="a"/><testcase classname="c" name="b"><failure message="boom"/></testcase></testsuite>',
    })
    const receipt = await upload.json() as { counts?: { tests: number } }
    if (upload.status !== 201 || receipt.counts?.tests !== 2) throw new Error(`upload answered ${upload.status}: ${JSON.stringify(receipt)}`)
    // the first upload once restarted the dev server (".nuxt/dist directory has been removed. Restarting Nuxt...")
    const restart = /.*Restarting Nuxt.*/.exec(log)
    if (restart) throw new Error(`the dev server restarted: ${restart[0].trim()}`)
    console.log(`test:dev: passed — nuxt dev healthy after ${Math.round(healthy / 1000)} s, ${runs} demo projects, upload 201`)
  }
  catch (err) {
    console.log(log.split('\n').slice(-30).join('\n'))
    throw err
  }
  finally {
    try {
      process.kill(-child.pid!, 'SIGTERM')
    }
    catch { /* already gone */ }
    rmSync(data, { recursive: true, force: true })
  }
}

main().catch((err) => {
  // fetch's own message is "fetch failed"; what failed (a refused or reset connection, a timeout) is its cause
  const cause = (err as Error).cause as Error | undefined
  console.log(`test:dev: failed — ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`)
  process.exit(1)
})
