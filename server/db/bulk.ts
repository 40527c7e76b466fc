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
  /** Writes rows (objects keyed by column name; a missing key is null); resolves with the characters sent. */
  write: (rows: Record<string, unknown>[]) => Promise<number>
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

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/** `{"a","b"}`: a text[] literal. */
const arrayLiteral = (values: unknown[]) => `{${values.map(v => v == null ? 'NULL' : `"${cleanString(String(v)).replace(/["\\]/g, '\\$&')}"`).join(',')}}`

/**
 * One value in COPY's text format: `\N` for null, JSON text for jsonb, an array literal for arrays; backslash, tab,
 * newline and carriage return escaped; NUL characters (which Postgres text refuses) and lone surrogates cleaned.
 */
export function copyValue(value: unknown, type: string): string {
  if (value == null) return '\\N'
  let text: string
  if (type === 'jsonb' || type === 'json') text = jsonText(value)
  else if (Array.isArray(value)) text = arrayLiteral(value)
  else if (value instanceof Date) text = value.toISOString()
  else text = cleanString(String(value))
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, c => ESCAPES[c]!) : text
}

/** Rows as COPY text lines. */
export function copyLines(rows: Record<string, unknown>[], columns: readonly BulkColumn[]): string {
  let out = ''
  for (const row of rows) out += `${columns.map(([name, type]) => copyValue(row[name], type)).join('\t')}\n`
  return out
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
  if (!client) {
    const lite = sessionClient(tx) as BlobQuery | undefined
    if (typeof lite?.query !== 'function') throw new Error('bulk writes need a postgres.js or PGlite transaction (drizzle\'s session.client)')
    return {
      streaming: false,
      write: async (rows) => {
        if (!rows.length) return 0
        const lines = copyLines(rows, columns)
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
      const lines = copyLines(rows, columns)
      if (!stream.write(lines)) await drained(stream)
      return lines.length
    },
    end,
  }
}
