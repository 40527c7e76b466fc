import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

export interface SpawnedServer {
  url: string
  pid: number
  output: () => string
  exited: Promise<number | null>
  kill: () => Promise<void>
}

/**
 * Starts the built server (`.output`, or the copy named by PROOFDECK_BUILD_DIR in `env` or in this process's environment)
 * on a random loopback port and resolves once it answers /api/health with 200. Rejects with everything it printed when
 * it exits or does not become healthy in time.
 */
function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, [resolve(env.PROOFDECK_BUILD_DIR ?? process.env.PROOFDECK_BUILD_DIR ?? '.output', 'server/index.mjs')], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log = { out: '' }
  child.stdout.on('data', (d: Buffer) => { log.out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { log.out += d.toString() })
  const exited = new Promise<number | null>(r => child.once('exit', code => r(code)))
  return { child, log, exited }
}

/** Runs the built server until it exits by itself (for "refuses to start" checks), killing it after the timeout. */
export async function runServerToExit(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null, output: string }> {
  const { child, log, exited } = startProcess(env)
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await exited
  clearTimeout(timer)
  return { code, output: log.out }
}

export async function spawnServer(
  env: Record<string, string>,
  opts: { waitHealthy?: boolean, timeoutMs?: number } = {},
): Promise<SpawnedServer> {
  const { child, log, exited } = startProcess(env)
  const kill = async () => {
    if (child.exitCode !== null) return
    child.kill('SIGTERM')
    await Promise.race([exited, new Promise(r => setTimeout(r, 5000))])
    if (child.exitCode === null) child.kill('SIGKILL')
  }
  const timeoutMs = opts.timeoutMs ?? 60_000
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not start in ${timeoutMs / 1000} s:\n${log.out}`)), timeoutMs)
    child.stdout.on('data', () => {
      const m = log.out.match(/Listening on (http:\/\/\S+)/)
      if (m) {
        clearTimeout(timer)
        res(m[1]!.replace('[::]', '127.0.0.1').replace(/\/$/, ''))
      }
    })
    exited.then((code) => {
      clearTimeout(timer)
      rej(new Error(`server exited with ${code}:\n${log.out}`))
    })
  })
  if (opts.waitHealthy !== false) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const r = await fetch(`${url}/api/health`).catch(() => null)
      if (r?.status === 200) break
      if (child.exitCode !== null || Date.now() > deadline) {
        await kill()
        throw new Error(`server never became healthy:\n${log.out}`)
      }
      await new Promise(r => setTimeout(r, 100))
    }
  }
  return { url, pid: child.pid!, output: () => log.out, exited, kill }
}

/** Signs in with email/password and creates an API key with the given scopes; returns the raw key. */
export async function createApiKeyAs(url: string, creds: { email: string, password: string }, scopes: string[]): Promise<string> {
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(creds) })
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`)
  const cookie = login.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
  const res = await fetch(`${url}/api/keys`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'bench', scopes }) })
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`)
  return (await res.json() as { key: string }).key
}
