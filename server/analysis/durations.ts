import { SLOWER_MS, SLOWER_RATIO } from '#shared/search'

/**
 * A duration regression: `now` at least SLOWER_RATIO times and SLOWER_MS ms more than `before` (p50s of two
 * windows, or one test's durations in two runs). Unknown either side is no regression.
 */
export function isSlower(before: number | null, now: number | null): boolean {
  if (before == null || now == null) return false
  return now >= before * SLOWER_RATIO && now - before >= SLOWER_MS
}

/** `now` relative to `before` (0.25 = 25% more); null when either is unknown or `before` is 0. */
export function relativeChange(before: number | null, now: number | null): number | null {
  if (before == null || now == null || before === 0) return null
  return (now - before) / before
}
