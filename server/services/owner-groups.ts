import { sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import { NO_OWNER } from '#shared/constants'
import type { OwnerGroup } from '#shared/types/explorer'
import { rowsOf } from '../db/sql'
import { useReadDb } from '../db'

/**
 * Lists grouped by owner (the flaky, clusters and explorer pages' `groupBy=owner`): the WHOLE filtered list is split
 * into one section per owner (a row with two owners is in both, rows without an owner last), each counted in full
 * and cut to its first rows in the list's own order. A section's remaining rows are a page of the list filtered by
 * that owner (`owner=…`, or `owner=none` for the unowned), so paging stays the plain cursor paging of that list.
 */

export interface GroupedRow {
  group_owner: string | null
  group_count: number
}

/**
 * The first `perGroup` rows per owner of `list` (a select with an `owners` text[] column), in `order` (SQL over the
 * list's columns), each with its owner and the owner's total; owners by name, the unowned last.
 */
export async function ownerGroupRows<R>(list: SQLWrapper, order: SQL, perGroup: number): Promise<(R & GroupedRow)[]> {
  const db = await useReadDb()
  return rowsOf<R & GroupedRow>(await db.execute(sql`select * from (
      select x.*, o.owner as group_owner, count(*) over (partition by o.owner)::int as group_count,
        row_number() over (partition by o.owner order by ${order}) as group_rank
      from (${list}) x
      cross join lateral unnest(case when cardinality(x.owners) = 0 then array[null::text] else x.owners end) as o(owner)
    ) g where group_rank <= ${perGroup} order by group_owner asc nulls last, group_rank`))
}

/** Grouped rows as sections; `item` maps a row (null drops it, e.g. a row gone between two reads). */
export function toOwnerGroups<R extends GroupedRow, T>(rows: R[], item: (r: R) => T | null | undefined): OwnerGroup<T>[] {
  const groups: OwnerGroup<T>[] = []
  for (const r of rows) {
    let group = groups[groups.length - 1]
    if (!group || group.owner !== r.group_owner) groups.push(group = { owner: r.group_owner, count: Number(r.group_count), items: [] })
    const mapped = item(r)
    if (mapped) group.items.push(mapped)
  }
  return groups
}

/** The owner filter on an `owners` text[] column: one owner, or `none` for tests without an owner. */
export const ownedBy = (owner: string, owners: SQL | SQLWrapper): SQL =>
  owner === NO_OWNER ? sql`cardinality(${owners}) = 0` : sql`${owner}::text = any(${owners})`
