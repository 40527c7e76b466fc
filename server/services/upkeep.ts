import { sql } from 'drizzle-orm'
import { useDbHandle } from '../db'
import { rowsOf } from '../db/sql'
import { enqueueJob, registerJob } from './jobs'

/**
 * The embedded database's upkeep: what Postgres's autovacuum and checkpointer do, which PGlite (one process, no
 * background workers) never runs. Without it a PGlite table never gets planner statistics, and the planner guesses:
 * on the demo data a search for a word on one branch since a date took 116–118 ms instead of 8–18 ms. The space of
 * updated and deleted rows (pg-boss's jobs, test cases rescored by each upload) is never reused, so those tables only
 * grow; and so does the write-ahead log. Upkeep vacuums and analyzes each table that has rows and no statistics, or
 * that grew by a tenth since it was last vacuumed or analyzed (autovacuum's analyze scale factor; pages stand in for
 * the modified rows PGlite does not count), and makes a checkpoint once the log has grown. It runs a few seconds after
 * an upload (one run waiting at a time, so a burst of uploads gets one), after retention deleted runs (every table
 * then) and at start. On Postgres it does nothing.
 */

const UPKEEP_JOB = 'db-upkeep'
/** Seconds an upload's upkeep waits: the uploads of those seconds share one. */
const AFTER_UPLOAD_SECONDS = 5
/** A table is vacuumed again once it has this share more pages than when it was last, plus a few (small tables). */
const GROWTH = 0.1
const SLACK_PAGES = 8
/**
 * Write-ahead log since the last checkpoint (MB) past which upkeep makes one. A standalone Postgres, which PGlite is,
 * checkpoints only when asked (no checkpointer process: neither max_wal_size nor checkpoint_timeout starts one), so
 * its log grew with every upload until the server stopped: 289 MB beside 156 MB of data after 300 uploads of 1,000
 * results. A checkpoint lets the segments before it be recycled (db/index.ts keeps at most ~64 MB of them).
 */
const CHECKPOINT_WAL_MB = 32

/**
 * Vacuums and analyzes the embedded database's stale tables and checkpoints past CHECKPOINT_WAL_MB of log (`all`: every
 * table, and a checkpoint); returns the tables' names.
 */
export async function upkeepEmbedded(opts: { all?: boolean } = {}): Promise<string[]> {
  const handle = await useDbHandle()
  if (handle.driver !== 'pglite') return []
  const db = handle.db
  const stale = rowsOf<{ name: string }>(await db.execute(sql`
    select format('%I.%I', n.nspname, c.relname) as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    cross join lateral (select pg_relation_size(c.oid) / current_setting('block_size')::int as pages) s
    where n.nspname in ('public', 'pgboss') and c.relkind = 'r'
      and (${opts.all ?? false}::boolean or (s.pages > 0 and c.reltuples < 0) or s.pages > c.relpages * ${1 + GROWTH}::real + ${SLACK_PAGES}::int)
    order by 1`)).map(r => r.name)
  const started = Date.now()
  // a partitioned table's parent has no rows of its own: its partitions are analyzed, as autovacuum does
  for (const name of stale) await db.execute(sql.raw(`vacuum (analyze) ${name}`))
  if (stale.length) console.info(`[proofdeck] embedded database upkeep: vacuumed and analyzed ${stale.length} tables in ${Date.now() - started} ms: ${stale.join(', ')}`)
  const [wal] = rowsOf<{ mb: number }>(await db.execute(sql`
    select (pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn) / 1048576)::int as mb from pg_control_checkpoint()`))
  if (opts.all || (wal?.mb ?? 0) >= CHECKPOINT_WAL_MB) {
    const at = Date.now()
    await db.execute(sql`checkpoint`)
    console.info(`[proofdeck] embedded database upkeep: checkpoint after ${wal!.mb} MB of write-ahead log in ${Date.now() - at} ms`)
  }
  return stale
}

/** After an upload's commit on the embedded database: an upkeep a few seconds later, unless one already waits. */
export function queueUpkeep(): void {
  useDbHandle()
    .then(h => h.driver === 'pglite' ? enqueueJob(UPKEEP_JOB, {}, { singletonKey: UPKEEP_JOB, startAfter: AFTER_UPLOAD_SECONDS }) : false)
    .catch((err: Error) => console.error(`[proofdeck] the embedded database's upkeep was not queued: ${err.message}`))
}

/** Registers the upkeep job (the jobs plugin does, at start-up). */
export function registerUpkeepJob(): void {
  registerJob({
    name: UPKEEP_JOB, policy: 'short', retryLimit: 1, retryDelay: 60, expireInSeconds: 900, concurrency: 1,
    handler: async () => {
      await upkeepEmbedded()
    },
  })
}
