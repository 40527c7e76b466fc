import { sql } from 'drizzle-orm'
import type { Tx } from '../db'
import { jsonText, rowsOf } from '../db/sql'

/**
 * Results' properties stored once per distinct object (result_properties, content-addressed by the md5 of the jsonb
 * text) instead of on every result row: a JUnit suite's properties apply to each of its testcases.
 */

/** The id of each results' properties object (null for none), the distinct objects stored first in one statement. */
export async function storeResultProperties(
  tx: Tx, projectId: string, all: readonly Record<string, string>[],
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
  const ids = new Map(distinct.map((text, i) => [text, rows[i]!.id]))
  return (p) => {
    const text = texts.has(p) ? texts.get(p)! : (isEmpty(p) ? null : jsonText(p))
    return text === null ? null : ids.get(text) ?? null
  }
}

const isEmpty = (p: Record<string, string>) => Object.keys(p).length === 0
