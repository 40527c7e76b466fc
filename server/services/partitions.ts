import { sql } from 'drizzle-orm'
import { useDb, type Tx } from '../db'
import { rowsOf } from '../db/sql'

/**
 * test_results is partitioned by range of run_started_at: one partition per UTC month, `test_results_yYYYYmMM`, and
 * `test_results_default` for anything else (migration 0012 made them from the rows it found). A month's partition is
 * made before its rows go in: the daily maintenance (the retention job) makes this month's and the next, and ingest
 * makes the month of a run that starts outside them (a backfill), so the default partition stays empty in normal use.
 *
 * Locks: `create table … partition of` takes ACCESS EXCLUSIVE on test_results (Postgres 15 and PGlite's 17), which
 * would stop every read of results while it waits for the ones running. So a month is made as a plain table with the
 * partition's range as a check, then attached: ATTACH takes only SHARE UPDATE EXCLUSIVE on test_results (reads and
 * writes go on) and ACCESS EXCLUSIVE on the default partition, whose scan is skipped when it is empty. Every attempt
 * waits at most LOCK_TIMEOUT for its locks, so readers never queue behind it for longer.
 */

const PREFIX = 'test_results_y'
const LOCK_TIMEOUT = '2s'
/** How far back a run's start still gets a month partition made for it. */
const MAX_PAST_YEARS = 10
/** Months known to have their partition in this process (attaching one is idempotent, so a stale entry only costs a skip). */
const known = new Set<string>()

/** The UTC month a time falls in, as `YYYYmMM` (the partition's name suffix). */
function monthKey(at: Date): string {
  return `${at.getUTCFullYear()}m${String(at.getUTCMonth() + 1).padStart(2, '0')}`
}

/** The partition of a month key and its range [from, to) in UTC. */
function monthPartition(key: string): { name: string, from: Date, to: Date } {
  const [y, m] = key.split('m').map(Number) as [number, number]
  return { name: `${PREFIX}${key}`, from: new Date(Date.UTC(y, m - 1, 1)), to: new Date(Date.UTC(y, m, 1)) }
}

/** The month partitions that exist, oldest first, with their ranges (the default partition is not one of them). */
export async function listMonthPartitions(tx?: Tx): Promise<{ key: string, name: string, from: Date, to: Date }[]> {
  const db = tx ?? await useDb()
  const rows = rowsOf<{ name: string }>(await db.execute(sql`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'test_results'::regclass and c.relname like ${`${PREFIX}%`} order by c.relname`))
  return rows.filter(r => /^test_results_y\d{4}m\d{2}$/.test(r.name))
    .map(r => ({ key: r.name.slice(PREFIX.length), ...monthPartition(r.name.slice(PREFIX.length)) }))
}

/**
 * Makes the month partitions of these times that do not exist yet, moving in the rows of that month the default
 * partition holds (normally none). Safe to race (another process may attach the same month first); a month whose
 * locks are not granted in time is logged, its rows go to the default partition and the next call tries again.
 * Times more than MAX_PAST_YEARS back or past next month (a wrong clock, a hostile report) get no partition of their
 * own: a table per month any upload names would bloat the catalog and every plan; their rows go to the default one.
 */
export async function ensureMonthPartitions(times: Date[], now = Date.now()): Promise<void> {
  const at = new Date(now)
  const earliest = Date.UTC(at.getUTCFullYear() - MAX_PAST_YEARS, at.getUTCMonth(), 1)
  const latest = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 2, 1)
  const wanted = [...new Set(times.filter(t => t.getTime() >= earliest && t.getTime() < latest).map(monthKey))].filter(k => !known.has(k))
  if (!wanted.length) return
  const db = await useDb()
  for (const p of await listMonthPartitions()) known.add(p.key)
  for (const key of wanted.filter(k => !known.has(k))) {
    const { name, from, to } = monthPartition(key)
    try {
      await db.transaction(async (tx) => {
        await tx.execute(sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`))
        await tx.execute(sql.raw(`create table if not exists "${name}" (like test_results including defaults,
          check (run_started_at >= '${from.toISOString()}' and run_started_at < '${to.toISOString()}'))`))
        const attached = rowsOf(await tx.execute(sql`select 1 from pg_inherits where inhrelid = ${name}::regclass`))
        if (!attached.length) {
          // rows of this month that went to the default partition meanwhile (normally none) move in first
          await tx.execute(sql.raw(`with moved as (delete from test_results_default
            where run_started_at >= '${from.toISOString()}' and run_started_at < '${to.toISOString()}' returning *)
            insert into "${name}" select * from moved`))
          await tx.execute(sql.raw(`alter table test_results attach partition "${name}"
            for values from ('${from.toISOString()}') to ('${to.toISOString()}')`))
        }
      })
      known.add(key)
    }
    catch (err) {
      // a racing process made it (duplicate name or type): it exists now; anything else waits for the next call
      if ((await listMonthPartitions()).some(p => p.key === key)) known.add(key)
      else console.warn(`[proofdeck] the results partition ${name} was not made now: ${(err as Error).message}`)
    }
  }
}

/** This month's partition and the next one's: the daily maintenance makes them before any run needs them. */
export async function ensureComingPartitions(now = Date.now()): Promise<void> {
  const at = new Date(now)
  await ensureMonthPartitions([at, new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1))], now)
}

/**
 * Drops a month partition with every attempt of its results, inside the caller's transaction (retention.ts deletes
 * the month's runs in the same one). DROP takes ACCESS EXCLUSIVE on test_results for an instant; it waits at most
 * LOCK_TIMEOUT for it.
 */
export async function dropMonthPartition(tx: Tx, key: string): Promise<void> {
  const { name } = monthPartition(key)
  await tx.execute(sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`))
  await tx.execute(sql.raw(`delete from test_attempts a where exists (select 1 from "${name}" r where r.id = a.result_id)`))
  await tx.execute(sql.raw(`drop table "${name}"`))
  known.delete(key)
}
