/**
 * When the run started: `--started-at`, else the CI's own job or pipeline start, else nothing (the server then takes
 * the reports' own timestamps, else the upload time). Pure: give it the flag, the CI's value and the clock.
 */

/** Clock skew tolerated for a start time ahead of this machine's clock. */
const FUTURE_SLACK_MS = 5 * 60_000

/**
 * An ISO 8601 date-time with a zone (`Z` or ±hh:mm, a space instead of `T` allowed, as Azure writes it) as a UTC ISO
 * string; null for anything else, a date-time without a zone included (it would be read in the server's zone).
 * @param {string | undefined} value
 * @returns {string | null}
 */
export function isoInstant(value) {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})$/i.exec(value?.trim() ?? '')
  if (!m) return null
  const [year, month, day] = m[1].split('-').map(Number)
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return null // 30 February
  const zone = m[3].toUpperCase() === 'Z' ? 'Z' : m[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')
  const d = new Date(`${m[1]}T${m[2]}${zone}`)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

/**
 * The run start to send, where it comes from, and a sentence when the flag is wrong (a usage error) or the CI's
 * value is unreadable (a warning: the upload goes on without it).
 * @param {string | undefined} flag `--started-at`: an ISO date-time, or `report` to leave it to the reports
 * @param {{ startedAt?: string, startedAtVar?: string }} ci what detectCi found
 * @param {number} now
 * @returns {{ startedAt?: string, source: 'flag' | 'ci' | 'report', error?: string, warning?: string }}
 */
export function pickStartedAt(flag, ci, now) {
  if (flag === 'report') return { source: 'report' }
  if (flag != null) {
    const startedAt = isoInstant(flag)
    if (!startedAt) {
      const got = JSON.stringify(flag.slice(0, 40))
      const error = `--started-at takes an ISO 8601 date-time with a zone, e.g. 2026-03-05T14:30:00Z, or "report" (got ${got}).`
      return { source: 'flag', error }
    }
    if (Date.parse(startedAt) > now + FUTURE_SLACK_MS) {
      const hint = 'e.g. $(date -u +%Y-%m-%dT%H:%M:%SZ) taken at the start of the job'
      return { source: 'flag', error: `--started-at ${flag} is in the future: give the time the tests started, ${hint}.` }
    }
    return { startedAt, source: 'flag' }
  }
  if (ci.startedAt == null) return { source: 'report' }
  const startedAt = isoInstant(ci.startedAt)
  if (!startedAt || Date.parse(startedAt) > now + FUTURE_SLACK_MS) {
    const got = JSON.stringify(ci.startedAt.slice(0, 40))
    return { source: 'report', warning: `${ci.startedAtVar} (${got}) is not a usable start time; the reports' own timestamps decide.` }
  }
  return { startedAt, source: 'ci' }
}

/** A JUnit root's or first suite's `timestamp`, within the first megabyte of a report. */
const SUITE_TIMESTAMP = /<testsuites?\b[^>]*?\stimestamp\s*=\s*["']([^"']{10,40})["']/
const ZONELESS = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?$/

/**
 * The reports' start read in this machine's zone, when the reporter wrote its local time without a zone on a runner
 * east of UTC. The server reads a zone-less JUnit `timestamp` as UTC (jest-junit and mocha write UTC so), and a local
 * time east of UTC then lies ahead of the clock: the server would take the upload's time and list the report's start
 * as rejected. Read here, on the runner whose zone the reporter used, it is the true start. Anything else (every
 * timestamp has a zone, or read as UTC none is ahead) is left to the server: null.
 * @param {Uint8Array[]} contents the reports
 * @param {number} now
 * @returns {{ startedAt: string, written: string, offset: string } | null}
 */
export function localReportStart(contents, now) {
  const firsts = []
  for (const content of contents) {
    const head = Buffer.from(content.buffer, content.byteOffset, Math.min(content.byteLength, 1 << 20)).toString('latin1')
    const value = SUITE_TIMESTAMP.exec(head)?.[1].trim()
    if (value) firsts.push(value)
  }
  const zoneless = firsts.map(v => ({ v, m: ZONELESS.exec(v) })).filter(x => x.m)
  const asUtc = ({ m }) => Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0), +(m[7] ?? '0').padEnd(3, '0'))
  if (!zoneless.some(x => asUtc(x) > now + FUTURE_SLACK_MS)) return null
  const asLocal = ({ m }) => new Date(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0), +(m[7] ?? '0').padEnd(3, '0')).getTime()
  const zoned = firsts.map(v => isoInstant(v)).filter(Boolean).map(v => Date.parse(v))
  const earliest = zoneless.reduce((min, x) => asLocal(x) < asLocal(min) ? x : min)
  const start = Math.min(asLocal(earliest), ...zoned)
  if (!(start <= now + FUTURE_SLACK_MS)) return null
  const minutes = -new Date(asLocal(earliest)).getTimezoneOffset()
  const offset = `UTC${minutes < 0 ? '-' : '+'}${String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0')}:${String(Math.abs(minutes) % 60).padStart(2, '0')}`
  return { startedAt: new Date(start).toISOString(), written: earliest.v, offset }
}
