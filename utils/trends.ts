import type { RunTrendPoint } from '#shared/types/reads'

/** The last `days` UTC days as YYYY-MM-DD, oldest first. */
export function lastDays(days: number, now = Date.now()): string[] {
  const out: string[] = []
  for (let i = days - 1; i >= 0; i--) out.push(new Date(now - i * 86_400_000).toISOString().slice(0, 10))
  return out
}

/** Per day: passed / executed over that day's points (null on days without runs), and the overall share. */
export function dailyPassRates(points: Pick<RunTrendPoint, 'day' | 'passed' | 'executed'>[], days: string[]) {
  const acc = new Map<string, { passed: number, executed: number }>()
  let passed = 0
  let executed = 0
  for (const p of points) {
    const a = acc.get(p.day) ?? { passed: 0, executed: 0 }
    a.passed += p.passed
    a.executed += p.executed
    acc.set(p.day, a)
    passed += p.passed
    executed += p.executed
  }
  return {
    perDay: days.map((d) => {
      const a = acc.get(d)
      return a && a.executed ? a.passed / a.executed : null
    }),
    overall: executed ? passed / executed : null,
  }
}

/** Branches of the window, the default branch first, then by number of runs. */
export function trendBranches(points: Pick<RunTrendPoint, 'branch' | 'runs'>[], defaultBranch: string): string[] {
  const counts = new Map<string, number>()
  for (const p of points) if (p.branch) counts.set(p.branch, (counts.get(p.branch) ?? 0) + p.runs)
  const others = [...counts.entries()].filter(([b]) => b !== defaultBranch).sort((a, b) => b[1] - a[1]).map(([b]) => b)
  return [...(counts.has(defaultBranch) ? [defaultBranch] : []), ...others]
}
