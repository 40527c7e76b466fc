import { createHash } from 'node:crypto'
import { isUuid } from '#shared/uuid'
import { badRequest } from '../utils/errors'
import type { Page } from '#shared/types/reads'

/**
 * Opaque tuple cursors: the sort key and id of the last row and the list they continue, base64url JSON. Pages continue
 * strictly after that tuple, so rows with equal sort keys (ties) are neither skipped nor repeated.
 */
function encodeCursor(key: string | number, id: string, list: string): string {
  return Buffer.from(JSON.stringify([key, id, list])).toString('base64url')
}

/**
 * Names one list: what it lists, of what (a project, a run, a test), with which filters and order. A cursor carries
 * it, so a cursor given out by one list is refused by another (another project's, another filter's) instead of
 * continuing it from a row it never had.
 */
export function listOf(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12)
}

/**
 * What a list sorts by: a timestamp key must be a date as toISOString writes it (years 0001–9999), a number finite and
 * within a real's range.
 */
type CursorKind = 'string' | 'number' | 'timestamp'
const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

function isKeyOf(kind: CursorKind, key: unknown): boolean {
  // within a real's range: a sort key read back as float4 (scores, ranks) out of it was a Postgres error, not a 400
  if (kind === 'number') return typeof key === 'number' && Math.abs(key) < 1e30
  if (typeof key !== 'string' || key.includes('\u0000')) return false
  if (kind === 'string') return true
  const date = new Date(key)
  return ISO_TIMESTAMP.test(key) && !Number.isNaN(date.getTime()) && date.toISOString() === key && !key.startsWith('0000')
}

/** What a list's cursor argument and the answer's next cursor are called where they are not `cursor`/`nextCursor`. */
export interface CursorNames { cursor: string, next: string }

export function decodeCursor<K extends string | number>(
  cursor: string | undefined, kind: CursorKind, list: string, names: CursorNames = { cursor: 'cursor', next: 'nextCursor' },
): { key: K, id: string } | null {
  if (!cursor) return null
  const where = names.cursor === 'cursor' ? '' : `${names.cursor}: `
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  }
  catch { /* answered below */ }
  if (Array.isArray(value) && value.length === 3 && isKeyOf(kind, value[0]) && typeof value[1] === 'string'
    && isUuid(value[1])) {
    if (value[2] === list) return { key: value[0] as K, id: value[1] }
    throw badRequest(`${where}This cursor continues another list (another project, run or test, or other filters or order): `
      + `pass ${names.next} from the previous page of this list unchanged, or omit it for the first page.`, 'bad_cursor')
  }
  throw badRequest(`${where}This cursor is not one this list gave out: pass ${names.next} from the previous page unchanged, or omit it for the first page.`, 'bad_cursor')
}

/** Cuts the one-extra row a query fetched (limit + 1) into a page and its next cursor. */
export function toPage<R, T>(
  rows: R[], limit: number, map: (r: R) => T, keyOf: (r: R) => [string | number, string], list: string,
): Page<T> {
  const more = rows.length > limit
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items: items.map(map), nextCursor: more && last ? encodeCursor(...keyOf(last), list) : null }
}

/**
 * A page of a list already read whole and in its order (a few rows, e.g. the projects a key can see): the cursor names
 * the last row given, so a page continues after it wherever the rows before it moved.
 */
export function pageOfList<T>(
  rows: T[], query: { cursor?: string, limit: number }, keyOf: (r: T) => [string, string], list: string,
): Page<T> {
  const after = decodeCursor<string>(query.cursor, 'string', list)
  const start = after ? rows.findIndex(r => keyOf(r)[1] === after.id) + 1 : 0
  if (after && start === 0) {
    throw badRequest('This cursor names a row that is no longer listed: omit it to start from the first page.', 'bad_cursor')
  }
  return toPage(rows.slice(start, start + query.limit + 1), query.limit, r => r, keyOf, list)
}
