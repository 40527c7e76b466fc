import type { RunSummary } from '#shared/types/reads'

/** Executed tests of a run that passed (a pass on retry counts as a pass); null when nothing ran. */
export function passRateOf(r: Pick<RunSummary, 'counts'>): number | null {
  const executed = r.counts.tests - r.counts.skipped
  return executed > 0 ? r.counts.passed / executed : null
}

/** The last `days` UTC days as YYYY-MM-DD, oldest first. */
export function lastDays(days: number, now = Date.now()): string[] {
  const out: string[] = []
  for (let i = days - 1; i >= 0; i--) out.push(new Date(now - i * 86_400_000).toISOString().slice(0, 10))
  return out
}

/** Per day: passed / executed over the runs of that day (null on days without runs), and the overall share. */
export function dailyPassRates(runs: Pick<RunSummary, 'counts' | 'startedAt'>[], days: string[]) {
  const acc = new Map<string, { passed: number, executed: number }>()
  let passed = 0
  let executed = 0
  for (const r of runs) {
    const day = r.startedAt.slice(0, 10)
    const e = r.counts.tests - r.counts.skipped
    const a = acc.get(day) ?? { passed: 0, executed: 0 }
    a.passed += r.counts.passed
    a.executed += e
    acc.set(day, a)
    passed += r.counts.passed
    executed += e
  }
  return {
    perDay: days.map((d) => {
      const a = acc.get(d)
      return a && a.executed ? a.passed / a.executed : null
    }),
    overall: executed ? passed / executed : null,
  }
}

const MAX_PAGES = 5

/**
 * Runs of a project over the last `days`, newest first: at most five pages of 100.
 * TODO(read API): there is no aggregated trend route (pass rate and duration per day and branch) yet, so trends page
 * through list_runs; `truncated` says when the window had more runs than that.
 */
export async function fetchRunsSince(slug: string, days: number) {
  const since = new Date(Date.now() - days * 86_400_000).toISOString()
  const runs: RunSummary[] = []
  let cursor: string | undefined
  let truncated = false
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await $fetch(`/api/projects/${slug}/runs`, { query: { since, limit: 100, cursor } })
    runs.push(...page.items)
    if (!page.nextCursor) break
    cursor = page.nextCursor
    if (i === MAX_PAGES - 1) truncated = true
  }
  return { runs, since, truncated }
}
