/**
 * What a database error means for the caller, read from the error and its causes (drizzle wraps the driver's error
 * in one whose message carries the whole SQL and every parameter: that message must never reach a log or a client).
 */

/** postgres.js and Node socket codes, and SQLSTATEs, that mean "the database is not reachable right now". */
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting up / shutting down), too_many_connections
  '57P01', '57P02', '57P03', '53300',
])

/** Sentences for the data errors a client can fix by changing what it sent (SQLSTATE class 22, and 54000). */
const DATA_SENTENCES: Record<string, string> = {
  '22007': 'A date in this request is not one the database can store: use ISO 8601 dates between the years 1 and 9999.',
  '22008': 'A date in this request is out of range: use ISO 8601 dates between the years 1 and 9999.',
  '22P05': 'This request contains a NUL character (\\u0000), which cannot be stored: remove it and send the request again.',
  '22021': 'This request contains a NUL character or bytes that are not valid UTF-8, which cannot be stored: remove them and send it again.',
  '22001': 'A value in this request is longer than its field allows: shorten it and send the request again.',
  '22003': 'A number in this request is out of range for its field: check the durations, counts and timestamps.',
  '54000': 'A value in this request is too large to store or index (names, branches and similar fields are at most a few kilobytes): shorten it.',
}
const DATA_FALLBACK = 'A value in this request cannot be stored as sent: check its dates, numbers and text, and send it again.'

export type DbErrorKind
  = | { kind: 'connection', code: string }
    | { kind: 'data', code: string, sentence: string }

/** The error and each of its causes, outermost first (bounded: a cause chain can be circular). */
function chain(err: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (let e = err; e && typeof e === 'object' && out.length < 8; e = (e as { cause?: unknown }).cause) {
    out.push(e as Record<string, unknown>)
  }
  return out
}

/** A fault inside postgres.js' own socket handling (3.4.9 can throw on a connection it already closed). */
function isDriverSocketFault(e: Record<string, unknown>): boolean {
  return e instanceof TypeError && typeof e.stack === 'string' && /postgres[\\/]src[\\/]connection\.js/.test(e.stack)
}

/** Whether this error is the database being unreachable (503) or bad data (422); null for anything else. */
export function classifyDbError(err: unknown): DbErrorKind | null {
  for (const e of chain(err)) {
    const code = typeof e.code === 'string' ? e.code : ''
    if (CONNECTION_CODES.has(code) || code.startsWith('08')) return { kind: 'connection', code }
    if (isDriverSocketFault(e)) return { kind: 'connection', code: 'DRIVER_SOCKET' }
    if (/^22[0-9A-Z]{3}$/.test(code) || code === '54000') return { kind: 'data', code, sentence: DATA_SENTENCES[code] ?? DATA_FALLBACK }
  }
  return null
}

/**
 * A one-line description safe to log: the innermost error's SQLSTATE and message, clipped, never the SQL or its
 * parameters (which drizzle puts in the outer message).
 */
export function describeForLog(err: unknown): string {
  const all = chain(err)
  const inner = [...all].reverse().find(e => !('params' in e)) ?? all[all.length - 1]
  if (!inner) return String(err).slice(0, 300)
  const code = typeof inner.code === 'string' ? `${inner.code} ` : ''
  const message = 'params' in inner ? 'a database query failed' : typeof inner.message === 'string' ? inner.message : String(inner)
  const name = typeof inner.name === 'string' ? inner.name : 'Error'
  const text = `${name}: ${code}${message}`.replace(/\s+/g, ' ')
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

/** SQLSTATEs of a transaction Postgres aborted for another's sake: deadlock_detected, serialization_failure. */
const CONFLICT_CODES = new Set(['40P01', '40001'])

/** Whether Postgres aborted this transaction to let a concurrent one through (running it again is safe). */
function isTransactionConflict(err: unknown): boolean {
  return chain(err).some(e => typeof e.code === 'string' && CONFLICT_CODES.has(e.code))
}

/**
 * Runs a whole transaction again when Postgres aborted it to break a deadlock with a concurrent one (up to `tries`
 * times, after a short random wait so the two do not meet again); any other error, or the last conflict, is thrown.
 * `what` names the work in the log line each retry writes.
 */
export async function retryConflicts<T>(what: string, transaction: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction()
    }
    catch (err) {
      if (attempt >= tries || !isTransactionConflict(err)) throw err
      console.warn(`[proofdeck] ${what}: ${describeForLog(err)}; running it again (try ${attempt + 1} of ${tries})`)
      await new Promise(resolve => setTimeout(resolve, 20 + Math.random() * 80 * attempt))
    }
  }
}
