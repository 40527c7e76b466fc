import { randomBytes } from 'node:crypto'
import { classifyDbError, describeForLog, noteDbError } from '../db'

/** How long a client should wait before retrying while the database is unreachable (the CLI retries 5xx). */
const RETRY_AFTER_SECONDS = 5

export type Failure
  = | { status: 503, code: 'database_unavailable', sentence: string, retryAfter: number }
    | { status: 422, code: 'unstorable_value', sentence: string, sqlState: string }
    | { status: 500, code: 'internal_error', sentence: string, errorId: string }

/**
 * What an unexpected failure answers, whichever door it came through (REST, /mcp): the database unreachable is a
 * 503 to retry, a value the database cannot store (SQLSTATE class 22, 54000) a 422 with a sentence, anything else a
 * 500 with an error id that the log line repeats — the id and one line, never the SQL or its parameters. A lost
 * connection also replaces the connection pool.
 */
export function describeFailure(err: unknown, where: string): Failure {
  noteDbError(err)
  const db = classifyDbError(err)
  if (db?.kind === 'connection') {
    const sentence = `The database is unreachable right now; try again in ${RETRY_AFTER_SECONDS} seconds.`
    return { status: 503, code: 'database_unavailable', sentence, retryAfter: RETRY_AFTER_SECONDS }
  }
  if (db?.kind === 'data') return { status: 422, code: 'unstorable_value', sentence: db.sentence, sqlState: db.code }
  const errorId = randomBytes(6).toString('hex')
  console.error(`[proofdeck] error ${errorId} on ${where}: ${describeForLog(err)}`)
  const sentence = `Something went wrong on the server (error id ${errorId}). Try again; if it keeps failing, `
    + 'give this id to your administrator: the server log has the details under it.'
  return { status: 500, code: 'internal_error', sentence, errorId }
}
