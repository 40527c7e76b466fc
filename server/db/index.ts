import { mkdirSync } from 'node:fs'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import * as schema from './schema'
import { applyMigrations } from './migrate'
import { useConfig } from '../utils/config'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export { schema }

export interface DbHandle {
  db: Db
  driver: 'postgres' | 'pglite'
  /** Cheap liveness probe for /api/health. */
  ping: () => Promise<void>
  close: () => Promise<void>
}

/** Where the embedded database lives when DATABASE_URL is unset. */
function pgliteDir(): string {
  return useConfig().dataDir
}

/** Hides the password of a connection string so it can be printed. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  }
  catch {
    return 'the configured DATABASE_URL'
  }
}

async function open(): Promise<DbHandle> {
  const { databaseUrl: url, databasePoolSize } = useConfig()
  if (url) {
    const { default: postgres } = await import('postgres')
    const { drizzle } = await import('drizzle-orm/postgres-js')
    // JIT off: our queries are short and indexed; on a large table the planner's cost estimate crosses the JIT
    // threshold and compiling took 7 to 100 ms per query (list_projects at 1M results) for nothing in return.
    const client = postgres(url, { max: databasePoolSize, onnotice: () => {}, connect_timeout: 10, connection: { jit: 'off' } })
    const db = drizzle(client, { schema, casing: 'snake_case' }) as unknown as Db
    try {
      await client`select 1`
    }
    catch (err) {
      await client.end({ timeout: 1 }).catch(() => {})
      throw new Error(`cannot reach PostgreSQL at ${redactUrl(url)}: ${(err as Error).message || (err as { code?: string }).code}`)
    }
    return { db, driver: 'postgres', ping: async () => void await client`select 1`, close: () => client.end({ timeout: 5 }) }
  }
  const { PGlite } = await import('@electric-sql/pglite')
  const { drizzle } = await import('drizzle-orm/pglite')
  const dir = pgliteDir()
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true })
  const client = await PGlite.create(dir)
  const db = drizzle(client, { schema, casing: 'snake_case' }) as unknown as Db
  return { db, driver: 'pglite', ping: async () => void await client.query('select 1'), close: () => client.close() }
}

let handle: Promise<DbHandle> | undefined

/** The process-wide database: opened and migrated once, awaited by every service call. */
export function useDbHandle(): Promise<DbHandle> {
  handle ??= open().then(async (h) => {
    try {
      await applyMigrations(h.db)
    }
    catch (err) {
      await h.close().catch(() => {})
      throw new Error(`database migration failed: ${(err as Error).message}`)
    }
    return h
  })
  return handle
}

export async function useDb(): Promise<Db> {
  return (await useDbHandle()).db
}

export async function closeDb(): Promise<void> {
  const h = handle
  handle = undefined
  if (h) await (await h.catch(() => undefined))?.close()
}
