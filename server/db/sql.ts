/** Small helpers for the raw SQL the bulk paths use (both drivers). */

/** A string Postgres text takes: NUL characters removed, lone surrogates replaced. */
export const cleanString = (v: string) => (v.includes('\0') || !v.isWellFormed() ? v.replace(/\0/g, '').toWellFormed() : v)

/**
 * Rows as one JSON text for `jsonb_to_recordset`: building a wide multi-row INSERT through the query builder
 * costs more CPU than the database spends storing it. NUL characters (which Postgres text refuses) and lone
 * surrogates are cleaned on the way.
 */
export function rowsJson(rows: object[]): string {
  return jsonText(rows)
}

/** A value as JSON text that Postgres json and jsonb take (strings cleaned as in rowsJson). */
export function jsonText(value: unknown): string {
  // A replacer turns off JSON.stringify's fast path, so it only runs when the output shows something to clean
  // (lone surrogates are the only characters JSON.stringify escapes as \ud8xx–\udfxx).
  const fast = JSON.stringify(value)
  return /\\u0000|\\ud[89a-f]/i.test(fast) ? JSON.stringify(value, (_k, v) => (typeof v === 'string' ? cleanString(v) : v)) : fast
}

/** The rows of `tx.execute` on either driver (postgres.js returns an array, PGlite an object with rows). */
export const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows)

/**
 * An array parameter as one array literal (drizzle would spread a JS array into a parameter list), cast by the query
 * (`::uuid[]`, `::text[]`, `::timestamptz[]`): for values with no character a literal would quote (uuids, hex hashes, ISO
 * timestamps).
 */
export const plainArray = (values: string[]) => `{${values.join(',')}}`

/** A timestamp as ISO 8601, whether the driver returned a Date or a string (raw SQL on PGlite vs postgres.js). */
export const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString()

/** Like `iso`, for a nullable column. */
export const isoOrNull = (d: Date | string | null | undefined): string | null => (d == null ? null : iso(d))

/** Rows per bulk statement or COPY write: Postgres caps a statement at 65,535 parameters (a JSON parameter is one). */
export const CHUNK = 1000
