import { describe, expect, it } from 'vitest'
import { dailyPassRates, lastDays, trendBranches } from '../../../utils/trends'

describe('trend helpers of the project and overview pages', () => {
  const days = lastDays(3, Date.parse('2026-11-23T12:00:00Z'))

  it('lists the last days oldest first, today included', () => {
    expect(days).toEqual(['2026-11-21', '2026-11-22', '2026-11-23'])
  })

  it('sums passed and executed per day and leaves days without runs empty', () => {
    const rates = dailyPassRates([
      { day: '2026-11-21', passed: 9, executed: 10 },
      { day: '2026-11-21', passed: 10, executed: 10 },
      { day: '2026-11-23', passed: 0, executed: 5 },
      { day: '2026-11-23', passed: 0, executed: 0 },
    ], days)
    expect(rates.perDay).toEqual([0.95, null, 0])
    expect(rates.overall).toBe(19 / 25)
  })

  it('puts the default branch first, then the branches that ran most, without null branches', () => {
    expect(trendBranches([
      { branch: 'feature/a', runs: 1 },
      { branch: 'main', runs: 1 },
      { branch: 'feature/b', runs: 2 },
      { branch: null, runs: 9 },
      { branch: 'feature/a', runs: 2 },
    ], 'main')).toEqual(['main', 'feature/a', 'feature/b'])
  })
})
