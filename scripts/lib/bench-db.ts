import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { databaseOptions } from './options'

export interface BenchDatabase {
  env: Record<string, string>
  label: string
  /** A database a `--keep` run left, measured as it is (no demo load). */
  reused: boolean
  drop: () => Promise<void>
}

/**
 * The database a benchmark runs on: a fresh PGlite folder, or (DATABASE_URL set, or asked for) a fresh Postgres database named
 * `<prefix>_<time>`. `--keep` leaves it in place and prints its name; `--reuse <name>` measures on such a one
 * (loading 1M results takes minutes, measuring again should not).
 */
export async function benchDatabase(prefix: string, kind: 'PGlite' | 'Postgres' = process.env.DATABASE_URL ? 'Postgres' : 'PGlite'): Promise<BenchDatabase> {
  const { reuse, keep } = databaseOptions()
  if (kind === 'PGlite') {
    if (reuse) throw new Error('--reuse needs DATABASE_URL (a kept Postgres database)')
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`))
    return { env: { PROOFDECK_DATA_DIR: join(dir, 'pglite') }, label: 'PGlite', reused: false, drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const base = process.env.DATABASE_URL
  if (!base) throw new Error('a Postgres benchmark needs DATABASE_URL (a server where it may create databases)')
  const { default: postgres } = await import('postgres')
  const name = reuse ?? `${prefix}_${Date.now()}`
  if (!reuse) {
    const admin = postgres(base, { max: 1, onnotice: () => {} })
    await admin.unsafe(`create database ${name}`)
    await admin.end()
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    env: { DATABASE_URL: url.toString() },
    label: 'Postgres',
    reused: !!reuse,
    drop: async () => {
      if (keep || reuse) return console.log(`kept database ${name}: --reuse ${name}`)
      const a = postgres(base, { max: 1, onnotice: () => {} })
      await a.unsafe(`drop database if exists ${name} with (force)`)
      await a.end()
    },
  }
}

/** Waits for the demo loader and returns [runs, results]; on a reused database, counts them. */
export async function demoSize(db: BenchDatabase, output: () => string): Promise<[number, number]> {
  if (db.reused) {
    const { default: postgres } = await import('postgres')
    const sql = postgres(db.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
    const [row] = await sql`select (select count(*) from runs)::int as runs, (select count(*) from test_results)::int as results`
    await sql.end()
    return [row!.runs, row!.results]
  }
  while (!/demo data (loaded|not loaded)/.test(output())) await new Promise(r => setTimeout(r, 500))
  const loaded = output().match(/demo data loaded: (\d+) runs, (\d+) results/)
  if (!loaded) throw new Error(output())
  return [Number(loaded[1]), Number(loaded[2])]
}
