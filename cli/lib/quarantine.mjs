// Quarantine in the CLI: the --fail-on-blocking verdict on a receipt, and `proofdeck quarantine` (the project's list).
import { testName } from './summary.mjs'

const NAMED = 5

/** One configuration's quarantined tests and those without a variant; all of them without `variant`. */
const ofVariant = (items, variant) => variant === undefined ? items : items.filter(t => t.variant === null || t.variant === variant)

/** The first few of `total` tests by name (the receipt lists at most 20 of each kind), and how many more. */
function names(items, total, render) {
  const shown = items.slice(0, NAMED)
  return shown.map(render).join(', ') + (total > shown.length ? `, …and ${total - shown.length} more` : '')
}

/**
 * What `upload --fail-on-blocking` does with a receipt: exit 1 when a test that is not quarantined failed, else 0 with a
 * line saying which failures were forgiven. A server without quarantine (no `failures` in the receipt) blocks on any failure.
 * A shard is judged by its own tests (`failures.thisUpload`): another shard's failure fails that shard's job, not this one's.
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
  if (f.thisUpload && !f.thisUpload.blocking && f.counts.blocking) {
    return { code: 0, line: `none of this upload's tests blocks; ${plural(f.counts.blocking)} blocking in other uploads of the run: ${names(f.blocking, f.counts.blocking, testName)}` }
  }
  if (f.counts.blocking) {
    const forgiven = f.counts.quarantined ? ` (${plural(f.counts.quarantined)} forgiven: quarantined)` : ''
    return { code: 1, line: `${plural(f.counts.blocking)} blocking: ${names(f.blocking, f.counts.blocking, testName)}${forgiven}` }
  }
  if (!f.counts.quarantined) return { code: 0, line: null }
  const forgiven = names(f.quarantined, f.counts.quarantined, t => `${testName(t)} (${t.reason})`)
  return { code: 0, line: `${plural(f.counts.quarantined)} forgiven: quarantined — ${forgiven}` }
}

/**
 * The titles a runner skips: each once, of one variant's quarantined tests (and those without a variant) when
 * `variant` is given. Without it, a title filter skips a test quarantined in some variants in all of them: each such
 * title is said in `warnings`, with its variants, so a job that runs one configuration can pass --variant.
 * @param {{ title: string, variant: string | null }[]} items
 * @param {string | undefined} variant
 */
export function quarantineTitles(items, variant) {
  const titles = [...new Set(ofVariant(items, variant).map(t => t.title))]
  const warnings = []
  if (variant === undefined) {
    const byTitle = new Map()
    for (const t of items) if (t.variant !== null) byTitle.set(t.title, [...byTitle.get(t.title) ?? [], t.variant])
    for (const [title, variants] of byTitle) {
      if (items.some(t => t.title === title && t.variant === null)) continue
      warnings.push(`warning: "${title}" is quarantined in ${variants.join(', ')}: skipped by its title, it is skipped in any other configuration too (pass --variant <name> to list one configuration's)`)
    }
  }
  return { titles, warnings }
}

/**
 * `proofdeck quarantine --project <slug> [--variant <name>] [--format list|json]`: the tests quarantined now, one title
 * per line (for runners that skip them) or as JSON. Exit 0, or 1 when the server refused or was unreachable.
 */
export async function printQuarantine({ base, token, project, format, variant, timeoutMs }) {
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
  const items = body.items.map(t => ({ ...t, variant: t.variant ?? null }))
  if (format === 'json') {
    console.log(JSON.stringify(ofVariant(items, variant), null, 2))
    return 0
  }
  const { titles, warnings } = quarantineTitles(items, variant)
  for (const w of warnings) console.error(w)
  for (const title of titles) console.log(title)
  return 0
}
