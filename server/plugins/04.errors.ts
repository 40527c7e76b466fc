import type { H3Error, H3Event } from 'h3'
import { classifyDbError, describeForLog } from '../db'
import { describeFailure } from '../utils/failures'

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
  if (!error.unhandled && (error.statusCode ?? 500) < 500 && !classifyDbError(error)) return
  const failure = describeFailure(error, `${event.method} ${event.path.split('?')[0]!.slice(0, 200)}`)
  if (failure.status === 503) setResponseHeader(event, 'retry-after', failure.retryAfter)
  const { status, sentence, ...data } = failure
  answerWith(error, status, sentence, data)
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
      if (event) mapRequestError(error as H3Error, event)
      else describeFailure(error, 'a background task')
    }
    catch (err) {
      console.error(`[proofdeck] the error handler failed: ${describeForLog(err)}`)
    }
  })
})
