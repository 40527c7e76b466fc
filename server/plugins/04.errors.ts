import { randomBytes } from 'node:crypto'
import type { H3Error, H3Event } from 'h3'
import { classifyDbError, describeForLog, noteDbError } from '../db'

/** How long a client should wait before retrying while the database is unreachable (the CLI retries 5xx). */
const RETRY_AFTER_SECONDS = 5

/** Turns the thrown error into the answer: status, sentence, code; no cause, stack or SQL left to print. */
function answerWith(error: H3Error, statusCode: number, message: string, data: Record<string, unknown>): void {
  error.statusCode = statusCode
  error.statusMessage = message
  error.message = message
  error.data = data
  error.unhandled = false
  error.fatal = false
  error.cause = undefined
}

function mapRequestError(error: H3Error, event: H3Event): void {
  const db = classifyDbError(error)
  if (db?.kind === 'connection') {
    setResponseHeader(event, 'retry-after', RETRY_AFTER_SECONDS)
    return answerWith(error, 503, `The database is unreachable right now; try again in ${RETRY_AFTER_SECONDS} seconds.`,
      { code: 'database_unavailable', retryAfter: RETRY_AFTER_SECONDS })
  }
  if (db?.kind === 'data') return answerWith(error, 422, db.sentence, { code: 'unstorable_value', sqlState: db.code })
  if (!error.unhandled && (error.statusCode ?? 500) < 500) return
  const id = randomBytes(6).toString('hex')
  // the id and one line: never the SQL, its parameters (uploads, key hashes) or a stack that repeats them
  console.error(`[proofdeck] error ${id} on ${event.method} ${event.path.split('?')[0]!.slice(0, 200)}: ${describeForLog(error)}`)
  answerWith(error, 500, `Something went wrong on the server (error id ${id}). Try again; if it keeps failing, `
  + 'give this id to your administrator: the server log has the details under it.', { code: 'internal_error', errorId: id })
}

/**
 * One place that decides what a failed request answers (Postgres, GitLab and Sentry alike keep SQL out of both the
 * answer and the log): the database unreachable is 503 + Retry-After, a value the database cannot store (SQLSTATE
 * class 22, 54000) is 422 with a sentence, anything unexpected is a 500 with an error id that the log line repeats.
 * A lost connection also replaces the connection pool, whether a request, a probe or a stray socket event saw it.
 */
export default defineNitroPlugin((nitroApp) => {
  if (import.meta.prerender) return
  nitroApp.hooks.hook('error', (error, { event }) => {
    // a throw here would leave the request unanswered: this hook runs inside h3's own error path
    try {
      noteDbError(error)
      if (event) mapRequestError(error as H3Error, event)
    }
    catch (err) {
      console.error(`[proofdeck] the error handler failed: ${describeForLog(err)}`)
    }
  })
})
