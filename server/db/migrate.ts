import { createHash } from 'node:crypto'
import type { Db } from './index'

interface MigrationMeta { sql: string[], bps: boolean, folderMillis: number, hash: string }
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
      hash: createHash('sha256').update(query).digest('hex'),
    })
  }
  return out
}

export async function applyMigrations(db: Db): Promise<void> {
  const migrations = await loadMigrations()
  // Same call drizzle-orm/<driver>/migrator makes; the dialect is shared by both drivers.
  const internals = db as unknown as {
    dialect: { migrate: (m: MigrationMeta[], s: unknown, c: object) => Promise<void> }
    session: unknown
  }
  await internals.dialect.migrate(migrations, internals.session, { migrationsFolder: '' })
}
