import { connect as connectSocket, type Socket } from 'node:net'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { Sql } from 'postgres'
import * as schema from './schema'
import { applyMigrations } from './migrate'
import { classifyDbError } from './errors'
import { createDataDir, lockDataDir, tightenDataDir } from './pglite-dir'
import { listenToChannel, type ChannelHandlers } from './notify'
import { useConfig } from '../utils/config'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export { schema }
export { classifyDbError, describeForLog } from './errors'

export interface DbHandle {
  /** The current pool's database: read it per call, a lost connection replaces the pool. */
  readonly db: Db
  driver: 'postgres' | 'pglite'
  /** Cheap liveness probe for /api/health. */
  ping: () => Promise<void>
  /** Called with any error a query threw: a lost connection recycles the pool. */
  noteError: (err: unknown) => void
  close: () => Promise<void>
  /**
   * Runs `work` while this process holds the database's migration lock (Postgres: an advisory lock on a connection of
   * its own), so instances started together migrate, and set their job queue up, one after the other. The embedded
   * database is one process.
   */
  migrating?: <T>(work: () => Promise<T>) => Promise<T>
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

/** A fresh pool is opened at most this often while the database stays unreachable. */
const RECYCLE_EVERY_MS = 1000

/** One postgres.js pool and what is waiting on it, so a pool that is replaced can fail what it would leave hanging. */
interface Pool {
  client: Sql
  db: Db
  pending: Set<(err: Error) => void>
  onError: (err: unknown) => void
  /** True while the database is known to be lost (the probe runs): requests fail at once instead of connecting. */
  lost: () => boolean
}

/** What a request gets while the database is known to be lost: a connection error (503), not a 5 s connect attempt. */
const lostConnection = () => Promise.reject(Object.assign(new Error('the database connection is lost'), { code: 'CONNECTION_ENDED' }))

function track<T>(pool: Pool, work: PromiseLike<T>): Promise<T> {
  let fail: (err: Error) => void = () => {}
  return new Promise<T>((resolve, reject) => {
    fail = reject
    pool.pending.add(reject)
    work.then(resolve, (err: unknown) => {
      // seen where it happens, so a lost connection replaces the pool even when the caller swallows the error
      pool.onError(err)
      reject(err)
    })
  }).finally(() => pool.pending.delete(fail))
}

/**
 * The client drizzle sees: the pool's own, except that top-level queries and transactions are tracked (see Pool).
 * Drizzle calls `unsafe(...)` and `unsafe(...).values()` and awaits them, and `begin(fn)`; nothing else is wrapped.
 */
function trackedClient(pool: Pool): Sql {
  return new Proxy(pool.client, {
    get(target, prop, receiver) {
      if (prop === 'begin') {
        return (...args: Parameters<Sql['begin']>) => pool.lost() ? lostConnection() : track(pool, target.begin(...args))
      }
      if (prop !== 'unsafe') return Reflect.get(target, prop, receiver)
      return (text: string, params?: unknown[], options?: object) => {
        // named and kept per connection by postgres.js (by text): parse and analysis happen once per connection, and
        // Postgres may keep a generic plan after five runs. Planning per statement cost more than running it (a
        // simple read's statements spent 0.3–5.8 ms in bind, 0.05–1.2 ms executing). Drizzle asks for unnamed ones.
        const query = target.unsafe(text, params as never, { ...options, prepare: true })
        let values = false
        let started: Promise<unknown> | undefined
        const run = () => (started ??= pool.lost() ? lostConnection() : track(pool, values ? query.values() : query))
        const thenable = {
          values: () => { values = true; return thenable },
          then: (ok?: (v: unknown) => unknown, fail?: (e: unknown) => unknown) => run().then(ok, fail),
        }
        return thenable
      }
    },
  })
}

/** Our own ends of a pool: the errors they cause must not replace the pool again. */
const SELF_INFLICTED = new Set(['CONNECTION_DESTROYED', 'CONNECTION_ENDED'])

/**
 * Keeps one working pool. postgres.js 3.4.9 poisons a connection whose socket closes while a write is queued (its
 * nextWriteTimer is never reset, so later writes never leave: CONNECT_TIMEOUT forever, and queries on it hang, the
 * upstream reports). Rather than repair a pool, replace it; what the old one still holds once it has ended (2 s at
 * most) fails as a lost connection. While lost, probe twice a second; once the database answers, replace the pool one
 * last time: connections made during the outage may be poisoned too, and only a pool opened after it is clean.
 */
function poolKeeper(connect: () => Pool) {
  let pool = connect()
  let lastRecycle = 0
  let probe: ReturnType<typeof setInterval> | undefined
  const replace = () => {
    const old = pool
    pool = connect()
    void old.client.end({ timeout: 2 }).catch(() => {}).then(() => {
      const gone = Object.assign(new Error('the database connection was lost'), { code: 'CONNECTION_DESTROYED' })
      for (const reject of old.pending) reject(gone)
    })
  }
  const startProbe = () => {
    probe ??= setInterval(() => {
      track(pool, pool.client`select 1`).then(() => {
        if (!probe) return // an earlier tick's probe got there first
        clearInterval(probe)
        probe = undefined
        replace()
        console.info('[proofdeck] the database answers again')
      }, () => {})
    }, 500)
    probe.unref()
  }
  return {
    current: () => pool,
    lost: () => probe !== undefined,
    noteError: (err: unknown) => {
      const kind = classifyDbError(err)
      if (kind?.kind !== 'connection' || SELF_INFLICTED.has(kind.code) || Date.now() - lastRecycle < RECYCLE_EVERY_MS) return
      lastRecycle = Date.now()
      if (!probe) console.warn(`[proofdeck] lost the database connection (${kind.code}): replacing the connection pool until it answers again`)
      replace()
      startProbe()
    },
    close: () => {
      clearInterval(probe)
      return pool.client.end({ timeout: 5 })
    },
  }
}

/**
 * The sockets of the pool, with Nagle's algorithm off (postgres.js leaves it on; node-postgres, which pg-boss uses,
 * turns it off). With it on, a write ending in a partial TCP segment waited for the server to acknowledge the
 * previous one, and Linux delays that acknowledgement by 40 ms: the end of every COPY of an upload and every
 * statement whose parameters outgrew a segment stalled 40–45 ms (a 10,000-result upload: 790 → 660 ms; see
 * BENCHMARKS.md). Several hosts in the URL are tried in turn, one per new connection, as postgres.js does; a host
 * given as a directory is a Unix socket.
 */
function noDelaySockets(): (options: { host: string[], port: number[], path?: string | false }) => Socket {
  let next = 0
  return ({ host, port, path }) => {
    if (path) return connectSocket(path)
    const i = next++ % host.length
    return connectSocket({ host: host[i]!, port: port[i] ?? port[0]!, noDelay: true })
  }
}

async function openPostgres(url: string, size: number): Promise<DbHandle> {
  const { default: postgres } = await import('postgres')
  const { drizzle } = await import('drizzle-orm/postgres-js')
  const connect = (): Pool => {
    // JIT off: our queries are short and indexed; on a large table the planner's cost estimate crosses the JIT
    // threshold and compiling took 7 to 100 ms per query (list_projects at 1M results) for nothing in return.
    // Parallel plans off, for the same reason: with a dozen month partitions costed before the run's month is known,
    // the planner sent a run's failure groups to two parallel workers, whose start took 8 ms of get_run's 10.8 ms at
    // 10M results (2.4 ms without); search across history was unchanged within noise (BENCHMARKS.md, "10M results").
    // connect_timeout 5 s: during an outage a request fails (503) well before a client gives up on it; idle and
    // lifetime limits retire sockets that a restart left half-open.
    const client = postgres(url, {
      max: size, onnotice: () => {}, connect_timeout: 5, idle_timeout: 60, max_lifetime: 30 * 60, connection: { jit: 'off', max_parallel_workers_per_gather: '0' },
      socket: noDelaySockets(),
    } as Parameters<typeof postgres>[1])
    const pool: Pool = {
      client, db: undefined as unknown as Db, pending: new Set(), onError: err => keeper.noteError(err), lost: () => keeper.lost(),
    }
    pool.db = drizzle(trackedClient(pool), { schema, casing: 'snake_case' }) as unknown as Db
    return pool
  }
  const keeper = poolKeeper(connect)
  try {
    await keeper.current().client`select 1`
  }
  catch (err) {
    await keeper.close().catch(() => {})
    // the driver's error as the cause: a request that needed this database answers 503 (db/errors.ts), not 500
    throw new Error(`cannot reach PostgreSQL at ${redactUrl(url)}: ${(err as Error).message || (err as { code?: string }).code}`, { cause: err })
  }
  return {
    get db() { return keeper.current().db },
    driver: 'postgres',
    ping: async () => void await track(keeper.current(), keeper.current().client`select 1`),
    noteError: keeper.noteError,
    close: keeper.close,
    migrating: async (work) => {
      // a connection of its own, not the pool's (a pool of one would wait on itself); the lock is its session's, so
      // ending it, or a crash or kill, lets the next instance go on
      const own = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 } as Parameters<typeof postgres>[1])
      try {
        await own`select pg_advisory_lock(hashtextextended('proofdeck migrations', 0))`
        return await work()
      }
      finally {
        await own.end({ timeout: 5 }).catch(() => {})
      }
    },
  }
}

/**
 * The write-ahead log the embedded database keeps after a checkpoint (MB, about; Postgres's default is 1 GB). PGlite
 * makes a checkpoint only when asked (services/upkeep.ts asks, past 32 MB of log), so between two the log grows with
 * what is written. After 300 uploads of 1,000 results the folder held 289 MB of log beside 156 MB of data with the
 * default kept and no checkpoint until the server stopped; with 64 MB kept, 65 MB of log after its last checkpoint.
 */
const PGLITE_WAL_MB = 64

/**
 * The embedded database's shared buffers (MB; Postgres's default is 128). They live in the server's WebAssembly memory
 * and are all touched at start, so they count in the process's resident memory from its first second, while the
 * pages they would cache stay in the operating system's cache as well (PGlite reads the data folder's files). With
 * 32 MB a fresh server was resident at 360 MB instead of 500 after start, 450 instead of 600 with the demo loaded, and the
 * demo's pages and uploads of 10,000 and 50,000 results timed within their noise (BENCHMARKS.md, "The embedded
 * database's memory").
 */
const PGLITE_SHARED_BUFFERS_MB = 32

async function openPglite(dir: string): Promise<DbHandle> {
  const { PGlite } = await import('@electric-sql/pglite')
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
  const { drizzle } = await import('drizzle-orm/pglite')
  let release = () => {}
  if (!dir.startsWith('memory://')) {
    createDataDir(dir)
    release = lockDataDir(dir)
    tightenDataDir(dir)
  }
  try {
    // pg_trgm: the trigram indexes of search across history (migration 0006). A checkpoint keeps PGLITE_WAL_MB of
    // write-ahead log, not Postgres's 1 GB default: PGlite's own data folder is the only place it goes
    const settings = ['-c', `max_wal_size=${PGLITE_WAL_MB}MB`, '-c', `min_wal_size=${PGLITE_WAL_MB / 2}MB`,
      '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS_MB}MB`]
    const client = await PGlite.create(dir, { extensions: { pg_trgm }, startParams: [...PGlite.defaultStartParams, ...settings] })
    if (!dir.startsWith('memory://')) tightenDataDir(dir)
    const db = drizzle(client, { schema, casing: 'snake_case' }) as unknown as Db
    return {
      db, driver: 'pglite', noteError: () => {},
      ping: async () => void await client.query('select 1'),
      close: async () => {
        await client.close()
        release()
      },
    }
  }
  catch (err) {
    release()
    throw err
  }
}

async function open(): Promise<DbHandle> {
  const { databaseUrl, databasePoolSize, dataDir } = useConfig()
  return databaseUrl ? openPostgres(databaseUrl, databasePoolSize) : openPglite(dataDir)
}

let handle: Promise<DbHandle> | undefined

/** The process-wide database: opened and migrated once, awaited by every service call. */
export function useDbHandle(): Promise<DbHandle> {
  handle ??= open().then(async (h) => {
    try {
      await (h.migrating ?? (work => work()))(() => applyMigrations(h.db))
    }
    catch (err) {
      await h.close().catch(() => {})
      // drizzle's "Failed query: …" says which statement; Postgres's reason is its cause
      const cause = (err as Error).cause as Error | undefined
      throw new Error(`database migration failed: ${(err as Error).message}${cause?.message ? ` (${cause.message})` : ''}`)
    }
    return h
  })
  return handle
}

export async function useDb(): Promise<Db> {
  return (await useDbHandle()).db
}

let readHandle: Promise<DbHandle> | undefined

/**
 * The database for reads that may lag a little: the replica at DATABASE_READ_URL when set (its own pool, no
 * migrations: a hot standby has the primary's schema), else the primary. Writes, and reads that must see a write just
 * made (the ingest transaction, sign-in, sessions, key checks), use useDb().
 */
export async function useReadDb(): Promise<Db> {
  const { databaseReadUrl, databasePoolSize } = useConfig()
  if (!databaseReadUrl) return useDb()
  // a replica that cannot be reached when it is first needed is tried again by the next read, not given up for good
  readHandle ??= useDbHandle().then(() => openPostgres(databaseReadUrl, databasePoolSize)).catch((err: unknown) => {
    readHandle = undefined
    throw err
  })
  return (await readHandle).db
}

/**
 * A read by id on the replica that, when it finds nothing there, is asked again on the primary: an id a write just
 * made (the run of a receipt, opened right after its upload) is found while the replica has not replayed it yet.
 */
export async function readOrPrimary<T>(read: (db: Db) => Promise<T | undefined>): Promise<T | undefined> {
  const replica = await useReadDb()
  const found = await read(replica)
  if (found !== undefined) return found
  const primary = await useDb()
  return primary === replica ? undefined : read(primary)
}

let listeners: { close: () => Promise<void> }[] = []

/**
 * Hears a channel of Postgres notifications on a connection of its own (./notify.ts). On PGlite, one process, `up`
 * at once: every change there is made by this process, whose services say so themselves.
 */
export async function hearChannel(channel: string, on: ChannelHandlers): Promise<void> {
  const h = await useDbHandle()
  const { databaseUrl } = useConfig()
  if (h.driver === 'pglite' || !databaseUrl) return on.up()
  listeners.push(listenToChannel(databaseUrl, channel, on))
}

/** Reports an error a request or a probe ran into; a lost connection replaces the pool. Never throws. */
export function noteDbError(err: unknown): void {
  handle?.then(h => h.noteError(err), () => {})
  readHandle?.then(h => h.noteError(err), () => {})
}

export async function closeDb(): Promise<void> {
  const [h, r, ls] = [handle, readHandle, listeners]
  handle = readHandle = undefined
  listeners = []
  await Promise.all(ls.map(l => l.close()))
  if (r) await (await r.catch(() => undefined))?.close()
  if (h) await (await h.catch(() => undefined))?.close()
}
