// Quarantine in the CLI: the --fail-on-blocking verdict on a receipt, and `proofdeck quarantine` (the project's list).

const NAMED = 5

/** The first few of `total` tests by name (the receipt lists at most 20 of each kind), and how many more. */
function names(items, total, render) {
  const shown = items.slice(0, NAMED)
  return shown.map(render).join(', ') + (total > shown.length ? `, …and ${total - shown.length} more` : '')
}

/**
 * What `upload --fail-on-blocking` does with a receipt: exit 1 when a test that is not quarantined failed, else 0 with a
 * line saying which failures were forgiven. A server without quarantine (no `failures` in the receipt) blocks on any failure.
 * @param {import('../../shared/types/ingest').IngestReceipt} r
 * @returns {{ code: 0 | 1, line: string | null }}
 */
export function blockingVerdict(r) {
  const f = r.failures
  if (!f) {
    const failed = r.counts.failed + r.counts.errored
    return failed
      ? { code: 1, line: `${failed} failed (this server does not report quarantines, so every failure blocks)` }
      : { code: 0, line: null }
  }
  const plural = n => `${n} failure${n === 1 ? '' : 's'}`
  if (f.counts.blocking) {
    const forgiven = f.counts.quarantined ? ` (${plural(f.counts.quarantined)} forgiven: quarantined)` : ''
    return { code: 1, line: `${plural(f.counts.blocking)} blocking: ${names(f.blocking, f.counts.blocking, t => t.title)}${forgiven}` }
  }
  if (!f.counts.quarantined) return { code: 0, line: null }
  const forgiven = names(f.quarantined, f.counts.quarantined, t => `${t.title} (${t.reason})`)
  return { code: 0, line: `${plural(f.counts.quarantined)} forgiven: quarantined — ${forgiven}` }
}

/**
 * `proofdeck quarantine --project <slug> [--format list|json]`: the tests quarantined now, one title per line (for
 * runners that skip them) or as JSON. Exit 0, or 1 when the server refused or was unreachable.
 */
export async function printQuarantine({ base, token, project, format, timeoutMs }) {
  const url = `${base}/api/v1/projects/${encodeURIComponent(project)}/quarantine`
  let res
  try {
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' }
    res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) })
  }
  catch (err) {
    console.error(`cannot reach ${base}: ${err.cause?.code ?? err.name ?? err.message}`)
    return 1
  }
  const body = await res.json().catch(() => ({ message: `answered ${res.status} without JSON` }))
  if (res.status !== 200) {
    console.error(`Quarantine list refused (${res.status}: ${body.message ?? 'no message'})`)
    return 1
  }
  if (format === 'json') console.log(JSON.stringify(body.items, null, 2))
  else for (const t of body.items) console.log(t.title)
  return 0
}
