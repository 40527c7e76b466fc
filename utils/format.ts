import type { ClusterStatus, FailureCategory, FlakyLabel, RunStatus, TestStatus } from '#shared/constants'

type BadgeColor = 'primary' | 'secondary' | 'success' | 'info' | 'warning' | 'error' | 'neutral'

/** Badge colours for every status vocabulary the dashboard shows, so a status looks the same on every page. */
export const RUN_STATUS_COLOR: Record<RunStatus, BadgeColor> = { passed: 'success', failed: 'error', empty: 'neutral' }
export const TEST_STATUS_COLOR: Record<TestStatus, BadgeColor> = { passed: 'success', failed: 'error', errored: 'warning', skipped: 'neutral' }
export const CLUSTER_STATUS_COLOR: Record<ClusterStatus, BadgeColor> = {
  open: 'error', investigating: 'warning', resolved: 'success', ignored: 'neutral', regressed: 'error',
}
export const FLAKY_LABEL_COLOR: Record<FlakyLabel, BadgeColor> = { stable: 'success', flaky: 'warning', broken: 'error', new: 'neutral' }
export const CATEGORY_COLOR: Record<FailureCategory, BadgeColor> = {
  timeout: 'primary', locator: 'primary', assertion: 'primary', build: 'error', network: 'info', crash: 'error', environment: 'info',
  infrastructure: 'warning', flaky: 'warning', unknown: 'neutral',
}

/** 1234 ms → "1.2 s", 95000 → "1 min 35 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/**
 * A share as a percentage that never reads as all or none when it is not: 99.67% is "99.7%", not "100%" (a day with a
 * failed run), and 0.2% is "0.2%", not "0%". Up to two more digits, then cut toward the truth.
 */
export function formatPercent(share: number | null | undefined, digits = 0): string {
  if (share == null) return '—'
  const pct = share * 100
  for (let d = digits; d <= digits + 2; d++) {
    const text = pct.toFixed(d)
    if ((Number(text) !== 100 || pct >= 100) && (Number(text) !== 0 || pct <= 0)) return `${text}%`
  }
  const d = digits + 2
  const cut = pct > 50 ? Math.floor(pct * 10 ** d) / 10 ** d : Math.ceil(pct * 10 ** d) / 10 ** d
  return `${cut.toFixed(d)}%`
}

/** A UTC date the same on server and client (no hydration mismatch): "2026-11-23 00:20 UTC". */
export function formatDateTime(iso: string | null | undefined): string {
  // the server renders pages, so a time is written in UTC for every reader, and says so
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '—'
}

/** 1536 → "1.5 KB", 7340032 → "7.0 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 7) : '—'
}

/** A cluster's location (`/builds/app/tests/cart.spec.ts:12`) as its file name and line: what tells two causes apart. */
export function fileAndLine(location: string): string {
  return location.slice(Math.max(location.lastIndexOf('/'), location.lastIndexOf('\\')) + 1)
}

/**
 * Each location as fileAndLine shows it, with as many of its folders as tell it from the others listed with it: two
 * packages' `cart.spec.ts:14` read `admin/tests/cart.spec.ts:14` and `storefront/tests/cart.spec.ts:14`.
 */
export function locationsApart(locations: (string | null | undefined)[]): (location: string) => string {
  const split = (l: string) => l.split(/[\\/]/)
  const listed = [...new Set(locations.filter((l): l is string => !!l))].map(split)
  return (location) => {
    const parts = split(location)
    const whole = parts.join('/')
    for (let n = 1; n < parts.length; n++) {
      const tail = parts.slice(-n).join('/')
      if (!listed.some(o => o.join('/') !== whole && o.slice(-n).join('/') === tail)) return tail
    }
    return whole
  }
}

/** What tells a cluster from another with its message: the element it waited for, else where it failed (`at cart.spec.ts:12`). */
export function clusterWhere(c: { locator?: string | null, location?: string | null }): string | undefined {
  return c.locator ?? (c.location ? `at ${fileAndLine(c.location)}` : undefined)
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`
}

/**
 * " after the outage" for a cause filed as infrastructure: its passes on retry are an outage's tests run again once it
 * was over, not a flake's (the cause is not called a flaky cause either), else nothing.
 */
export function afterOutage(category: FailureCategory | null): string {
  return category === 'infrastructure' ? ' after the outage' : ''
}

/**
 * A run's cause as its failure group names it: its category, except a flaky cause whose failures in this run all
 * failed for good (none passed on retry), "flaky elsewhere": one of its tests flaked in other runs, and here it did not
 * pass, so "flaky" alone read as a failure to wave through (a review's regression grouped with another test's flake).
 */
export function groupCategory(g: { category: FailureCategory | null, failures: number, flaky: number }): string | null {
  return g.category === 'flaky' && g.failures > 0 && g.flaky === 0 ? 'flaky elsewhere' : g.category
}

/** Failed results of a run or counts object: JUnit `<error>` and crashes count as failures for people. */
export function failingCount(c: { failed: number, errored: number }): number {
  return c.failed + c.errored
}

/** A run's CI job and environment as one label (`unit (node-18)`, `unit`, `node-18`), empty when it has neither. */
export function runLine({ job, environment }: { job?: string | null, environment?: string | null }): string {
  if (job && environment) return `${job} (${environment})`
  return job || environment || ''
}
