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
