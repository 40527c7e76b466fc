import { sql } from 'drizzle-orm'
import { useDb, type Tx } from '../db'
import { jsonText, rowsOf, plainArray } from '../db/sql'

/**
 * Results' properties stored once per distinct object (result_properties, content-addressed by the md5 of the jsonb
 * text) instead of on every result row: a JUnit suite's properties apply to each of its testcases. Each run lists the
 * rows its results point at (runs.properties_ids), and retention deletes the rows no run lists any more: a project
 * whose properties change with every build (a build number, a timestamp) would otherwise keep one row per run forever.
 *
 * An upload that points at rows holds a shared lock on its project's rows until it commits, and the pruning takes it
 * exclusively: a row an upload found already stored is never deleted under it before its run lists it.
 */

/** The advisory lock of a project's properties rows: a 64-bit hash of "result_properties <project id>". */
const propertiesLock = (projectId: string) => sql`hashtextextended(${`result_properties ${projectId}`}, 0)`

/**
 * The id of each results' properties object (null for none), the distinct objects stored first in one statement and
 * listed on the run `runId`.
 */
export async function storeResultProperties(
  tx: Tx, projectId: string, runId: string, all: readonly Record<string, string>[],
): Promise<(properties: Record<string, string>) => string | null> {
  // the cases of a suite usually share one object: each distinct object is serialised once
  const texts = new Map<Record<string, string>, string | null>()
  const distinct: string[] = []
  const seen = new Set<string>()
  for (const p of all) {
    if (texts.has(p)) continue
    const text = isEmpty(p) ? null : jsonText(p)
    texts.set(p, text)
    if (text !== null && !seen.has(text)) {
      seen.add(text)
      distinct.push(text)
    }
  }
  if (!distinct.length) return () => null
  await tx.execute(sql`select pg_advisory_xact_lock_shared(${propertiesLock(projectId)})`)
  // ids come back in the order given; inserted in id order, so two uploads bringing the same new objects wait, never deadlock
  const rows = rowsOf<{ id: string }>(await tx.execute(sql`
    with given as (
      select value as properties, md5(value::text)::uuid as id, n
      from jsonb_array_elements(${`[${distinct.join(',')}]`}::jsonb) with ordinality as e(value, n)
    ), stored as (
      insert into result_properties (project_id, id, properties)
      select ${projectId}::uuid, id, properties from given order by id
      on conflict do nothing
    )
    select id from given order by n`))
  // a run stored before runs listed them (null) stays unknown: its project's rows are all kept
  await tx.execute(sql`update runs set properties_ids = array(select distinct unnest(properties_ids || ${plainArray(rows.map(r => r.id))}::uuid[]))
    where id = ${runId}::uuid and properties_ids is not null`)
  const ids = new Map(distinct.map((text, i) => [text, rows[i]!.id]))
  return (p) => {
    const text = texts.has(p) ? texts.get(p)! : (isEmpty(p) ? null : jsonText(p))
    return text === null ? null : ids.get(text) ?? null
  }
}

const isEmpty = (p: Record<string, string>) => Object.keys(p).length === 0

/**
 * Deletes the project's properties rows that no run lists (after retention deleted runs); none while one of its runs
 * was stored before runs listed them. Returns how many went.
 */
export async function pruneResultProperties(projectId: string): Promise<number> {
  const db = await useDb()
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${propertiesLock(projectId)})`)
    const gone = rowsOf<{ id: string }>(await tx.execute(sql`delete from result_properties rp where rp.project_id = ${projectId}::uuid
      and not exists (select 1 from runs r where r.project_id = ${projectId}::uuid and r.properties_ids is null)
      and rp.id not in (select unnest(r.properties_ids) from runs r where r.project_id = ${projectId}::uuid)
      returning rp.id`))
    return gone.length
  })
}
