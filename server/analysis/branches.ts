/** Results and failures of one test on a branch and on the default branch, over the same window. */
export interface BranchCounts { runs: number, failed: number, defaultRuns: number, defaultFailed: number }

/**
 * Where a test fails only: `branch` when it failed on the branch and passed every time it ran on the default branch,
 * `default` the other way round, null when both or neither fail, or one of them did not run.
 */
export function failsOnlyOn(c: BranchCounts): 'branch' | 'default' | null {
  if (c.failed > 0 && c.defaultRuns > 0 && c.defaultFailed === 0) return 'branch'
  if (c.defaultFailed > 0 && c.runs > 0 && c.failed === 0) return 'default'
  return null
}
