import { describe, expect, it } from 'vitest'
import { failsOnlyOn, type BranchCounts } from '../../../server/analysis/branches'

describe('failsOnlyOn (a branch against the default branch, same window)', () => {
  it.each<[BranchCounts, 'branch' | 'default' | null, string]>([
    [{ runs: 5, failed: 2, defaultRuns: 10, defaultFailed: 0 }, 'branch', 'fails on the branch, always passes on the default'],
    [{ runs: 5, failed: 0, defaultRuns: 10, defaultFailed: 3 }, 'default', 'passes on the branch, fails on the default'],
    [{ runs: 5, failed: 2, defaultRuns: 10, defaultFailed: 1 }, null, 'fails on both'],
    [{ runs: 5, failed: 0, defaultRuns: 10, defaultFailed: 0 }, null, 'passes on both'],
    [{ runs: 5, failed: 5, defaultRuns: 0, defaultFailed: 0 }, null, 'never ran on the default branch'],
    [{ runs: 0, failed: 0, defaultRuns: 10, defaultFailed: 4 }, null, 'never ran on the branch'],
  ])('%o → %s (%s)', (counts, where) => {
    expect(failsOnlyOn(counts)).toBe(where)
  })
})
