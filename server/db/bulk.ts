import type { Sql } from 'postgres'
import type { Writable } from 'node:stream'
import type { Tx } from '.'
import { cleanString, jsonText } from './sql'

/**
 * Bulk inserts of an upload's rows inside its transaction, as `COPY … FROM` in its text format (no statement text to
 * build or parse, no JSON to decode per row). On Postgres the rows stream in from stdin on the transaction's own
 * connection; PGlite, which has no client stream, reads each batch's lines from a Blob (its `/dev/blob` device).
 */

/** A column as COPY names it, with its SQL type (`uuid`, `jsonb`, `text[]`, an enum…). */
export type BulkColumn = readonly [name: string, type: string]

export interface BulkWriter {
  /** True when rows stream (Postgres): batches may be as large as the caller likes; else each is one statement. */
  readonly streaming: boolean
  /** Writes rows (values in the order of the columns); resolves with the characters sent. */
  write: (rows: readonly BulkRow[]) => Promise<number>
  /** Ends the current COPY, so another statement can run on the connection; the next write opens a new one. */
  end: () => Promise<void>
}

/** The postgres.js connection of a drizzle transaction, or null on PGlite (drizzle keeps it as `session.client`). */
function copyClient(tx: Tx): Sql | null {
  const client = sessionClient(tx)
  return typeof client === 'function' && 'unsafe' in client ? client as Sql : null
}

/** PGlite's transaction under a drizzle transaction (its `query` takes a Blob for `/dev/blob`). */
interface BlobQuery {
  query: (text: string, params: unknown[], options: { blob: Blob }) => Promise<unknown>
}

const sessionClient = (tx: Tx) => (tx as unknown as { session?: { client?: unknown } }).session?.client

/** A row as COPY takes it: its values in the order of the writer's columns (null and undefined are null). */
export type BulkRow = readonly unknown[]

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }
const NULL = '\\N'

/** Backslash, tab, newline and carriage return escaped, as COPY's text format needs. */
const escaped = (text: string) => (/[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, c => ESCAPES[c]!) : text)

/** `{"a","b"}`: a text[] literal. */
const arrayLiteral = (values: unknown[]) => `{${values.map(v => v == null ? 'NULL' : `"${cleanString(String(v)).replace(/["\\]/g, '\\$&')}"`).join(',')}}`

/**
 * How a value of one column type is written in COPY's text format: `\N` for null, JSON text for jsonb, an array
 * literal for arrays; NUL characters (which Postgres text refuses) and lone surrogates cleaned from text. Chosen once
 * per column, not per value: an upload writes 25 columns of 50,000 results.
 */
export function copyEncoder(type: string): (value: unknown) => string {
  if (type === 'jsonb' || type === 'json') return v => (v == null ? NULL : escaped(jsonText(v)))
  if (type.endsWith('[]')) return v => (v == null ? NULL : escaped(arrayLiteral(v as unknown[])))
  if (type === 'text') return v => (v == null ? NULL : escaped(cleanString(String(v))))
  // uuids, numbers, booleans, timestamps, enum values: nothing to clean
  return v => (v == null ? NULL : v instanceof Date ? v.toISOString() : escaped(String(v)))
}

/**
 * Rows as COPY text lines, one per row, for these columns. Rows are arrays, not objects keyed by column: for the
 * 50,000 results of a report, making and writing the rows took 270–740 ms as objects and 125–230 ms as arrays.
 */
export function copyText(columns: readonly BulkColumn[]): (rows: readonly BulkRow[]) => string {
  const encoders = columns.map(([, type]) => copyEncoder(type))
  return (rows) => {
    let out = ''
    for (const row of rows) {
      if (row.length !== encoders.length) throw new Error(`a row of ${row.length} values for ${encoders.length} columns`)
      let line = encoders[0]!(row[0])
      for (let c = 1; c < encoders.length; c++) line += `\t${encoders[c]!(row[c])}`
      out += `${line}\n`
    }
    return out
  }
}

/** Resolves when a COPY stream takes writes again, rejects when it fails meanwhile (it would never drain). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      stream.off('drain', done)
      stream.off('error', done)
      if (err) reject(err)
      else resolve()
    }
    stream.on('drain', done)
    stream.on('error', done)
  })
}

/** A writer of rows into `table`'s `columns` (see BulkWriter). */
export function bulkWriter(tx: Tx, table: string, columns: readonly BulkColumn[]): BulkWriter {
  const client = copyClient(tx)
  const names = columns.map(([name]) => name).join(', ')
  const copyLines = copyText(columns)
  if (!client) {
    const lite = sessionClient(tx) as BlobQuery | undefined
    if (typeof lite?.query !== 'function') throw new Error('bulk writes need a postgres.js or PGlite transaction (drizzle\'s session.client)')
    return {
      streaming: false,
      write: async (rows) => {
        if (!rows.length) return 0
        const lines = copyLines(rows)
        await lite.query(`copy ${table} (${names}) from '/dev/blob'`, [], { blob: new Blob([lines]) })
        return lines.length
      },
      end: async () => {},
    }
  }
  let stream: Writable | null = null
  let failed: Error | null = null
  const end = async () => {
    if (!stream) return
    const s = stream
    stream = null
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject)
      s.end(() => resolve())
    })
    if (failed) throw failed
  }
  return {
    streaming: true,
    write: async (rows) => {
      if (!rows.length) return 0
      if (!stream) {
        stream = await client.unsafe(`copy ${table} (${names}) from stdin`).writable()
        stream.on('error', (err: Error) => { failed = err })
      }
      if (failed) throw failed
      const lines = copyLines(rows)
      if (!stream.write(lines)) await drained(stream)
      return lines.length
    },
    end,
  }
}
