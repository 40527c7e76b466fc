import type { FlakyLabel, TestStatus } from '#shared/constants'

/** One stored result of a test case, as the flakiness score reads it. */
export interface FlakyObservation {
  resultId: string
  runId: string
  branch: string | null
  commit: string | null
  at: Date
  status: TestStatus
  /** Passed after at least one failed attempt in the same run. */
  flaky: boolean
  attempts: number
  /** The run failed wholesale (most of the suite): its outcome says nothing about this test. */
  infra: boolean
}

export interface FlakyEvidenceItem {
  runId: string
  resultId: string
  commit: string | null
  kind: 'retry-pass' | 'same-commit-mixed' | 'flip'
  at: string
  attempts?: number
}

export interface FlakyOptions {
  /** Results considered, newest first (the caller loads at most this many). */
  window: number
  /** Consecutive failures on one branch that read as a breakage (a regression), not as flakes. */
  brokenStreak: number
  /** Evidence needed for the `flaky` label when none of it is direct (retry-pass or same-commit mix). */
  minIndirectEvidence: number
}

export const DEFAULT_FLAKY_OPTIONS: FlakyOptions = { window: 30, brokenStreak: 3, minIndirectEvidence: 2 }

export interface FlakyAssessment {
  /** Share of the window's results that are evidence of flakiness, in [0, 1]. */
  score: number
  /** Wilson lower bound (95%) of that share: how sure the score is above zero given the sample size. */
  confidence: number
  label: FlakyLabel
  evidence: FlakyEvidenceItem[]
  lastFlakeAt: Date | null
  /** Results that counted (infrastructure runs and skips left out). */
  sample: number
  retryPasses: number
  flips: number
  mixedCommits: number
}

const EVIDENCE_KEPT = 20

/** Wilson score interval lower bound for k successes in n trials (z = 1.96). */
export function wilsonLower(k: number, n: number, z = 1.96): number {
  if (n === 0) return 0
  const p = k / n
  const z2 = z * z
  const centre = p + z2 / (2 * n)
  const margin = z * Math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)
  return Math.max(0, (centre - margin) / (1 + z2 / n))
}

const failing = (s: TestStatus) => s === 'failed' || s === 'errored'

type AddEvidence = (o: FlakyObservation, kind: FlakyEvidenceItem['kind']) => void

/** Passes after a failed attempt in the same run; returns how many. */
function countRetryPasses(window: FlakyObservation[], add: AddEvidence): number {
  let retryPasses = 0
  for (const o of window) {
    if (o.status === 'passed' && o.flaky) {
      retryPasses++
      add(o, 'retry-pass')
    }
  }
  return retryPasses
}

/** Commits on which the test both failed and passed (each failure there is evidence); returns how many. */
function countMixedCommits(window: FlakyObservation[], add: AddEvidence): number {
  const byCommit = new Map<string, FlakyObservation[]>()
  for (const o of window) if (o.commit) byCommit.set(o.commit, [...(byCommit.get(o.commit) ?? []), o])
  let mixedCommits = 0
  for (const list of byCommit.values()) {
    if (list.some(o => failing(o.status)) && list.some(o => o.status === 'passed')) {
      mixedCommits++
      for (const o of list) if (failing(o.status)) add(o, 'same-commit-mixed')
    }
  }
  return mixedCommits
}

/** Observations per branch (no branch: ''), oldest first. `window` is newest first. */
function byBranchOldestFirst(window: FlakyObservation[]): Map<string, FlakyObservation[]> {
  const byBranch = new Map<string, FlakyObservation[]>()
  for (const o of [...window].reverse()) byBranch.set(o.branch ?? '', [...(byBranch.get(o.branch ?? '') ?? []), o])
  return byBranch
}

/** Streaks per branch: a short streak closed by a pass is a flip; a long one is a breakage. Returns the flips. */
function countFlips(byBranch: Map<string, FlakyObservation[]>, brokenStreak: number, add: AddEvidence): number {
  let flips = 0
  for (const list of byBranch.values()) {
    let streak: FlakyObservation[] = []
    for (const o of list) {
      if (failing(o.status)) {
        streak.push(o)
        continue
      }
      if (streak.length && streak.length < brokenStreak) {
        flips++
        for (const s of streak) add(s, 'flip')
      }
      streak = []
    }
  }
  return flips
}

/** Failures in a row at the end of the newest result's branch. */
function trailingFailures(newest: FlakyObservation | undefined, byBranch: Map<string, FlakyObservation[]>): number {
  const newestBranch = newest ? byBranch.get(newest.branch ?? '')! : []
  let trailing = 0
  for (let i = newestBranch.length - 1; i >= 0 && failing(newestBranch[i]!.status); i--) trailing++
  return trailing
}

/**
 * Flakiness of one test case from its recent results (any order). Three kinds of evidence, each pointing at a
 * result: a pass on retry inside one run; a failure on a commit where the same test also passed; a short burst of
 * failures on a branch that passes again without a code-wide breakage (a flip). Failure streaks of
 * `brokenStreak` or more on one branch are a regression, not flakes; a test whose latest results on its most
 * recent branch are such a streak is `broken`. Runs that failed wholesale are left out.
 */
export function assessFlakiness(observations: FlakyObservation[], options: FlakyOptions = DEFAULT_FLAKY_OPTIONS): FlakyAssessment {
  const window = observations
    .filter(o => !o.infra && o.status !== 'skipped')
    .sort((a, b) => b.at.getTime() - a.at.getTime() || b.resultId.localeCompare(a.resultId))
    .slice(0, options.window)
  const evidence = new Map<string, FlakyEvidenceItem>()
  // A result is evidence once, of the first kind found (retry-pass, then same-commit-mixed, then flip).
  const add: AddEvidence = (o, kind) => {
    if (evidence.has(o.resultId)) return
    evidence.set(o.resultId, {
      runId: o.runId, resultId: o.resultId, commit: o.commit, kind, at: o.at.toISOString(),
      ...(o.attempts > 1 ? { attempts: o.attempts } : {}),
    })
  }
  const retryPasses = countRetryPasses(window, add)
  const mixedCommits = countMixedCommits(window, add)
  const byBranch = byBranchOldestFirst(window)
  const flips = countFlips(byBranch, options.brokenStreak, add)
  const trailing = trailingFailures(window[0], byBranch)

  const n = window.length
  const k = evidence.size
  const direct = retryPasses + mixedCommits
  let label: FlakyLabel = 'stable'
  if (trailing >= options.brokenStreak) label = 'broken'
  else if (direct > 0 || k >= options.minIndirectEvidence) label = 'flaky'

  const items = [...evidence.values()].sort((a, b) => b.at.localeCompare(a.at) || b.resultId.localeCompare(a.resultId))
  return {
    score: n ? Math.round((k / n) * 1000) / 1000 : 0,
    confidence: Math.round(wilsonLower(k, n) * 1000) / 1000,
    label,
    evidence: items.slice(0, EVIDENCE_KEPT),
    lastFlakeAt: items[0] ? new Date(items[0].at) : null,
    sample: n,
    retryPasses,
    flips,
    mixedCommits,
  }
}
