import { runServerToExit, spawnServer } from '../../scripts/lib/spawn-server'
import { cpSync, mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'

export interface TestServer {
  url: string
  /** The server's process id (e.g. to read its memory from /proc/<pid>/status). */
  pid: number
  /** Everything the server printed so far (stdout + stderr). */
  logs: () => string
  /** Stops the process and drops its database. */
  stop: () => Promise<void>
  /** Stops the process only, keeping the database for inspection. */
  kill: () => Promise<void>
  env: Record<string, string>
}

export const TEST_ADMIN = { email: 'admin@example.test', password: 'correct horse battery staple' }

/**
 * A fresh database for one test file: a copy of the migrated PGlite template, or a new Postgres database; with its
 * own attachment blob folder (never the working tree's .data/blobs), which goes where the database goes.
 */
export async function freshDatabase(): Promise<{ env: Record<string, string>, drop: () => Promise<void> }> {
  const blobs = { PROOFDECK_BLOB_DIR: mkdtempSync(join(inject('tmpDir'), 'blobs-')) }
  const base = process.env.TEST_DATABASE_URL
  if (!base) {
    const dir = mkdtempSync(join(inject('tmpDir'), 'pglite-'))
    const template = inject('pgliteTemplate')
    if (template) cpSync(template, dir, { recursive: true })
    return { env: { PROOFDECK_DATA_DIR: dir, ...blobs }, drop: async () => {} }
  }
  const { default: postgres } = await import('postgres')
  const name = `pd_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(base, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    env: { DATABASE_URL: url.toString(), ...blobs },
    drop: async () => {
      const a = postgres(base, { max: 1, onnotice: () => {} })
      await a.unsafe(`drop database if exists ${name} with (force)`)
      await a.end()
    },
  }
}

/** Spawns the built server on a fresh database and resolves once it is healthy (or rejects with its output). */
export async function startServer(env: Record<string, string> = {}, opts: { waitHealthy?: boolean } = {}): Promise<TestServer> {
  const db = env.DATABASE_URL || env.PROOFDECK_DATA_DIR ? { env: {}, drop: async () => {} } : await freshDatabase()
  const fullEnv: Record<string, string> = {
    NUXT_SESSION_PASSWORD: 'test-session-password-at-least-32-chars-long!!',
    PROOFDECK_ADMIN_EMAIL: TEST_ADMIN.email,
    PROOFDECK_ADMIN_PASSWORD: TEST_ADMIN.password,
    PROOFDECK_BCRYPT_COST: '4',
    // a server given its database by the caller still keeps its blobs out of the working tree
    ...env.PROOFDECK_BLOB_DIR ? {} : { PROOFDECK_BLOB_DIR: mkdtempSync(join(inject('tmpDir'), 'blobs-')) },
    ...db.env,
    ...env,
  }
  const server = await spawnServer(fullEnv, opts).catch(async (err) => {
    await db.drop()
    throw err
  })
  const stop = async () => {
    await server.kill()
    await db.drop()
  }
  return { url: server.url, pid: server.pid, logs: server.output, stop, kill: server.kill, env: fullEnv }
}

export { runServerToExit }

/** Runs SQL straight against the server's database (for PGlite, only while the server is stopped). */
export async function queryDb<T = Record<string, any>>(env: Record<string, string>, sqlText: string): Promise<T[]> {
  if (env.DATABASE_URL) {
    const { default: postgres } = await import('postgres')
    const client = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} })
    const rows = await client.unsafe(sqlText)
    await client.end()
    return [...rows] as T[]
  }
  const { PGlite } = await import('@electric-sql/pglite')
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
  const client = await PGlite.create(env.PROOFDECK_DATA_DIR!, { extensions: { pg_trgm } })
  const { rows } = await client.query<T>(sqlText)
  await client.close()
  return rows
}

/** Row counts of every table, read straight from the server's database (call after stop() for PGlite). */
export async function countRows(env: Record<string, string>): Promise<Record<string, number>> {
  const tables = ['projects', 'runs', 'run_uploads', 'test_cases', 'test_results', 'test_attempts', 'failure_clusters', 'cluster_test_cases']
  const [row] = await queryDb<Record<string, number>>(env, `select ${tables.map(t => `(select count(*)::int from ${t}) as ${t}`).join(', ')}`)
  return row!
}

/** A server on a fresh database with the demo dataset loaded (through ingest), ready to read. */
export async function startDemoServer(scale = '0.3', env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startServer({ PROOFDECK_DEMO: '1', PROOFDECK_DEMO_SCALE: scale, ...env })
  const deadline = Date.now() + 150_000
  while (!/demo data (loaded|not loaded)/.test(server.logs())) {
    if (Date.now() > deadline) throw new Error(`the demo dataset did not load:\n${server.logs()}`)
    await new Promise(r => setTimeout(r, 200))
  }
  if (/demo data not loaded/.test(server.logs())) throw new Error(server.logs())
  return server
}
