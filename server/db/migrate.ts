import { createHash } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { Db } from './index'
import { rowsOf } from './sql'

interface MigrationMeta { sql: string[], bps: boolean, folderMillis: number, hash: string, tag: string }
interface Journal { entries: { tag: string, when: number, breakpoints: boolean }[] }

/**
 * Reads the drizzle-kit migrations bundled as Nitro server assets (so `.output` is self-contained) and rebuilds
 * drizzle's MigrationMeta exactly as its folder migrator does: same statements, same hash, so the two mix safely.
 */
async function loadMigrations(): Promise<MigrationMeta[]> {
  const storage = useStorage('assets:migrations')
  const journal = await storage.getItem<Journal>('meta/_journal.json')
  if (!journal) throw new Error('the migrations journal is missing from the server bundle')
  const out: MigrationMeta[] = []
  for (const entry of journal.entries) {
    const raw = await storage.getItem(`${entry.tag}.sql`)
    const query = typeof raw === 'string' ? raw : new TextDecoder().decode(raw as unknown as ArrayBuffer)
    out.push({
      sql: query.split('--> statement-breakpoint'),
      bps: entry.breakpoints,
      folderMillis: entry.when,
      tag: entry.tag,
      hash: createHash('sha256').update(query).digest('hex'),
    })
  }
  return out
}

/**
 * A database an upgrade has migrated past this build is refused before anything is read or written: an older build
 * on it signed people in and served pages, then answered every upload 500 on a column it did not know.
 */
async function refuseNewerDatabase(db: Db, newest: MigrationMeta): Promise<void> {
  const [table] = rowsOf<{ at: string | null }>(await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations')::text as at`))
  if (!table?.at) return
  const [row] = rowsOf<{ n: number, at: string | null }>(await db.execute(sql`select count(*)::int as n, max(created_at)::text as at
    from drizzle.__drizzle_migrations where created_at > ${newest.folderMillis}`))
  if (row?.n) {
    const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')
    throw new Error(`this database was migrated by a newer Proofdeck (${row.n} migration${row.n === 1 ? '' : 's'} this build does not have, `
      + `the newest made ${when(Number(row.at))} UTC; this build's newest is ${newest.tag}, made ${when(newest.folderMillis)} UTC): `
      + 'start that version or a later one, or restore a backup taken before the upgrade.')
  }
}

export async function applyMigrations(db: Db): Promise<void> {
  const migrations = await loadMigrations()
  await refuseNewerDatabase(db, migrations.at(-1)!)
  // Same call drizzle-orm/<driver>/migrator makes; the dialect is shared by both drivers.
  const internals = db as unknown as {
    dialect: { migrate: (m: MigrationMeta[], s: unknown, c: object) => Promise<void> }
    session: unknown
  }
  await internals.dialect.migrate(migrations, internals.session, { migrationsFolder: '' })
}
