import type { FlakyLabel, TestStatus } from '#shared/constants'
import { classifyError, outageCause } from './diagnosis/engine'

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
  /**
   * Failed after the same run passed it in an earlier upload (a CI job re-run, another shard): the run both passed and
   * failed it, so it is a mixed commit on its own, as a pass after a failure (`flaky`) is a pass on retry.
   */
  passedEarlier?: boolean
  attempts: number
  /**
   * The run failed wholesale (most of the suite, mostly with one outage cause; isInfrastructureRun), or the upload
   * (shard, job) that failed this test did: its outcome says nothing about this test.
   */
  infra: boolean
  /**
   * The run's CI job and environment (a matrix leg): a test that fails on node-18 and passes on node-20 of one commit
   * fails deterministically on one leg, and each leg's results are a history of their own. Absent: one line.
   */
  line?: string
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
  /** Counted results on the label's branch below which a test is `new` (too few runs to say). */
  minRuns: number
}

export const DEFAULT_FLAKY_OPTIONS: FlakyOptions = { window: 30, brokenStreak: 3, minIndirectEvidence: 2, minRuns: 5 }

/** A run of the test's history as "failing since" and "last passed" point at it. */
export interface RunRef {
  runId: string
  commit: string | null
  startedAt: string
}

/** Where the observations come from: which branch matters, and whether they are the test's whole history. */
export interface FlakyContext {
  /** The project's default branch: labels are read from it whenever the test ran there. */
  defaultBranch: string | null
  /** The observations are every counted result the test has (nothing older exists). */
  complete: boolean
}

export interface FlakyAssessment {
  /** Share of the window's results that are evidence of flakiness, in [0, 1]. */
  score: number
  /** Wilson lower bound (95%) of that share: how sure the score is above zero given the sample size. */
  confidence: number
  label: FlakyLabel
  /** One line saying why: "failed the last 7 runs on main since a1b2c3d", "passed on retry in 3 of 30 runs". */
  reason: string
  /** The branch the label was read from (null: runs without a branch). */
  branch: string | null
  /** Broken tests: the first run of the current failing streak on `branch` and the pass before it (null if none). */
  failingSince: RunRef | null
  lastPassed: RunRef | null
  /** Broken tests: failures in a row at the end of `branch`, as far back as the observations go. */
  streak: number
  /** The streak reaches back past the observations (they are not the whole history): failingSince is only the oldest seen. */
  streakOpen: boolean
  evidence: FlakyEvidenceItem[]
  lastFlakeAt: Date | null
  /** Results that counted (infrastructure runs and skips left out). */
  sample: number
  retryPasses: number
  flips: number
  mixedCommits: number
  /**
   * Failed results in the two windows the label reads (every branch's newest results and the label branch's; see
   * windowFailures): while there is one, the test's next pass may end a flip, mix a commit or change the reason, so
   * ingest rescores the test on a pass too (a stable test is otherwise rescored only when it fails).
   */
  windowFailures: number
}

/** Runs with fewer tests than this are never called infrastructure failures: two of three is not an outage. */
const INFRA_MIN_TESTS = 10

/** Failures that share a cause: a cluster's (an error of it), or those without an error together (message and stack null). */
export interface FailureCause {
  failures: number
  message: string | null
  stack: string | null
}

/** What a run's (or one upload's) results say of an outage: tests executed, how many failed (or passed on retry), by cause. */
export interface RunFailures {
  executed: number
  failing: number
  causes: FailureCause[]
}

/** At least INFRA_MIN_TESTS executed and at least `share` of them failed: whether the causes need reading at all. */
export function mostlyFailing({ executed, failing }: Pick<RunFailures, 'executed' | 'failing'>, share: number): boolean {
  return executed >= INFRA_MIN_TESTS && failing / executed >= share
}

/** What an outage failed with: its cause (outageCause), how many failures had it, and the line its commonest error says it in. */
export interface OutageOf {
  cause: string
  failures: number
  error: string
}

/**
 * Whether a run (or an upload of it: a shard, a job) is an infrastructure failure, whose results say nothing about its
 * tests: mostlyFailing, and at least half of the failures with one outage cause (outageCause: an error of the machine
 * or the setup, a page that never loaded; every network error one cause). An outage fails tests the same way (a
 * refused connection, a browser that did not launch); a module whose tests fail each with its own assertion, or all
 * with one (`expected 200, received 500`), is a regression, however many of them fail.
 */
export function isInfrastructureRun(run: RunFailures, share: number): boolean {
  return outageOf(run, share) !== null
}

/**
 * The outage a run (or an upload) is (isInfrastructureRun), or null: its commonest outage cause (ties: the first
 * cause's), and the error of that cause's largest group as the diagnosis rules quote it (`Error: connect ECONNREFUSED
 * 127.0.0.1:5432`), so a receipt can say what failed.
 */
export function outageOf(run: RunFailures, share: number): OutageOf | null {
  if (!mostlyFailing(run, share)) return null
  const byCause = new Map<string, { failures: number, largest: FailureCause }>()
  for (const c of run.causes) {
    const cause = outageCause(c.message, c.stack)
    if (!cause) continue
    const seen = byCause.get(cause)
    if (!seen) byCause.set(cause, { failures: c.failures, largest: c })
    else {
      seen.failures += c.failures
      if (c.failures > seen.largest.failures) seen.largest = c
    }
  }
  let top: [string, { failures: number, largest: FailureCause }] | null = null
  for (const entry of byCause) if (!top || entry[1].failures > top[1].failures) top = entry
  if (!top || top[1].failures * 2 < run.failing) return null
  const { message, stack } = top[1].largest
  const error = classifyError(message ?? '', stack)?.line ?? (message ?? stack ?? '').split('\n')[0]!.trim()
  return { cause: top[0], failures: top[1].failures, error: error.length > 200 ? `${error.slice(0, 199)}…` : error }
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

/** Adds a result as evidence of this kind unless it is evidence already; whether it was added. */
type AddEvidence = (o: FlakyObservation, kind: FlakyEvidenceItem['kind']) => boolean

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

/**
 * Commits on which the test both failed and passed in one CI job and environment (each failure there is evidence), a
 * run that passed it and then failed it (passedEarlier) among them, on its commit or, without one, in itself; returns
 * how many.
 */
function countMixedCommits(window: FlakyObservation[], add: AddEvidence): number {
  const byCommit = groupsOf(window.filter(o => o.commit || o.passedEarlier), o => `${o.commit ?? o.runId}\u0000${o.line ?? ''}`)
  let mixedCommits = 0
  for (const list of byCommit.values()) {
    if (list.some(o => failing(o.status)) && list.some(o => o.status === 'passed' || o.passedEarlier)) {
      mixedCommits++
      for (const o of list) if (failing(o.status)) add(o, 'same-commit-mixed')
    }
  }
  return mixedCommits
}

/** `list` grouped by `keyOf`, each group in the list's order. */
function groupsOf(list: FlakyObservation[], keyOf: (o: FlakyObservation) => string): Map<string, FlakyObservation[]> {
  const groups = new Map<string, FlakyObservation[]>()
  for (const o of list) {
    const key = keyOf(o)
    const group = groups.get(key)
    if (group) group.push(o)
    else groups.set(key, [o])
  }
  return groups
}

/** Observations per branch (no branch: ''), oldest first. `window` is newest first. */
const byBranchOldestFirst = (window: FlakyObservation[]) => groupsOf([...window].reverse(), o => o.branch ?? '')

/** One branch's results per CI job and environment (FlakyObservation.line), each in the list's order. */
const byLine = (list: FlakyObservation[]) => [...groupsOf(list, o => o.line ?? '').values()]

/** A failure streak: its results, and whether it began at the oldest result the window holds of its branch. */
interface Streak { failures: FlakyObservation[], atEdge: boolean }

/** The failure streaks of one branch's results (oldest first), each with the pass that closed it (null: still open). */
function streaksOf(list: FlakyObservation[]): { streak: Streak, passedAt: Date | null }[] {
  const found: { streak: Streak, passedAt: Date | null }[] = []
  let streak: Streak = { failures: [], atEdge: true }
  for (const o of list) {
    if (failing(o.status)) {
      streak.failures.push(o)
      continue
    }
    if (streak.failures.length) found.push({ streak, passedAt: o.at })
    streak = { failures: [], atEdge: false }
  }
  if (streak.failures.length) found.push({ streak, passedAt: null })
  return found
}

/**
 * Streaks per branch: a short streak closed by a pass is a flip; a long one is a breakage. Not a flip:
 * - a streak at the window's oldest edge that may go back further (its branch failed just before the window, or what
 *   came before was not read): the end of a breakage whose start slid out of the window (a fixed regression read as
 *   "1 short failure burst" on its 28th pass);
 * - a streak on another branch while the default branch was broken (a streak of `brokenStreak` or more, until its
 *   next pass): a feature branch based on the default one inherits its regression, and its rebase passes again.
 * Returns the flips whose failures are not all evidence already (of a retry pass or a mixed commit), so the reason's
 * parts add up: "failed and passed on the same commit once; 4 short failure bursts" was said of 4 failures, one of
 * them counted in both.
 */
function countFlips(
  byBranch: Map<string, FlakyObservation[]>, brokenStreak: number, add: AddEvidence,
  defaultBranch: string | null, olderOf: (branch: string) => boolean,
): number {
  const main = defaultBranch == null ? [] : byBranch.get(defaultBranch) ?? []
  const broken = byLine(main).flatMap(streaksOf).filter(c => c.streak.failures.length >= brokenStreak)
    .map(c => ({ from: c.streak.failures[0]!.at.getTime(), to: c.passedAt?.getTime() ?? Infinity }))
  const within = (o: FlakyObservation, b: { from: number, to: number }) => o.at.getTime() >= b.from && o.at.getTime() < b.to
  const inherited = (failures: FlakyObservation[]) => broken.some(b => failures.every(o => within(o, b)))
  let flips = 0
  const counted = new Set<string>()
  for (const [branch, list] of byBranch) {
    for (const { streak, passedAt } of byLine(list).flatMap(streaksOf)) {
      if (!passedAt || streak.failures.length >= brokenStreak) continue
      if (streak.atEdge && olderOf(branch)) continue
      if (branch !== (defaultBranch ?? '') && inherited(streak.failures)) continue
      // a burst whose every failure also failed each of its retries failed alike every time: a short regression
      if (streak.failures.every(o => o.attempts > 1 && !o.passedEarlier)) continue
      if (onePerCommit(streak.failures, counted).filter(s => add(s, 'flip')).length) flips++
    }
  }
  return flips
}

/**
 * A burst's failures one per commit, across the bursts read (`seen`): a commit that broke the test fails it in every
 * job and matrix leg that runs it, and a fix pushed next is one commit's failure that passed again, not two or four
 * signs of flakiness.
 */
function onePerCommit(failures: FlakyObservation[], seen: Set<string>): FlakyObservation[] {
  return failures.filter(o => o.commit == null || (!seen.has(o.commit) && !!seen.add(o.commit)))
}

/**
 * The branch whose history decides the label: the default branch whenever the test ran there, else the branch with
 * most of its results (ties: the one that ran last). `counted` is newest first.
 */
export function labelBranch(counted: FlakyObservation[], defaultBranch: string | null): string | null {
  if (!counted.length) return defaultBranch
  if (defaultBranch !== null && counted.some(o => o.branch === defaultBranch)) return defaultBranch
  const tally = new Map<string | null, number>()
  for (const o of counted) tally.set(o.branch, (tally.get(o.branch) ?? 0) + 1)
  let best = counted[0]!.branch
  for (const [b, n] of tally) if (n > tally.get(best)!) best = b
  return best
}

const runRef = (o: FlakyObservation): RunRef => ({ runId: o.runId, commit: o.commit, startedAt: o.at.toISOString() })
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
const onBranch = (b: string | null) => b ? `on ${b}` : 'on runs without a branch'
/** A run as a reason names it: its short commit, else its day. */
const runName = (r: RunRef) => r.commit ? r.commit.slice(0, 7) : r.startedAt.slice(0, 10)

/** The reason of a `broken` label, once it is known how far back the streak goes. */
export function brokenReason(streak: number, branch: string | null, failingSince: RunRef | null, open: boolean): string {
  if (open) return `failed every run ${onBranch(branch)}${failingSince ? ` since ${runName(failingSince)}` : ''} (at least the last ${streak})`
  if (!failingSince) return `failed the last ${plural(streak, 'run')} ${onBranch(branch)}`
  return `failed the last ${plural(streak, 'run')} ${onBranch(branch)} since ${runName(failingSince)}`
}

interface Counts { n: number, k: number, retryPasses: number, flips: number, mixedCommits: number }

function flakyReason(c: Counts): string {
  const parts = [
    c.retryPasses ? `passed on retry in ${c.retryPasses} of ${plural(c.n, 'run')}` : '',
    c.mixedCommits ? `failed and passed on the same commit ${c.mixedCommits === 1 ? 'once' : `${c.mixedCommits} times`}` : '',
    c.flips ? `${plural(c.flips, 'short failure burst')} that passed again` : '',
  ].filter(Boolean)
  return parts.join('; ') || `${c.k} of ${plural(c.n, 'run')} are signs of flakiness`
}

function stableReason(onLabelBranch: FlakyObservation[], trailing: number, branch: string | null): string {
  const n = onLabelBranch.length
  const failures = onLabelBranch.filter(o => failing(o.status)).length
  if (!failures) return `no failure in ${plural(n, 'run')} ${onBranch(branch)}`
  if (trailing) return `failed the last ${plural(trailing, 'run')} of ${n} ${onBranch(branch)}, too few in a row to call it broken`
  return `passing ${onBranch(branch)}; ${failures} of the last ${plural(n, 'run')} failed, not in a flaky pattern`
}

/** The label, its reason and, for a broken test, where the failing streak on the label's branch began. */
function decideLabel(
  counted: FlakyObservation[], c: Counts, direct: number, options: FlakyOptions, context: FlakyContext,
): Pick<FlakyAssessment, 'label' | 'reason' | 'branch' | 'failingSince' | 'lastPassed' | 'streak' | 'streakOpen'> {
  const branch = labelBranch(counted, context.defaultBranch)
  const onBranch = counted.filter(o => o.branch === branch)
  // the CI job and environment failing longest now (newest first each): a test that fails every run of node-18 while
  // node-20 passes is broken there, and its streak is that leg's
  const trailingOf = (list: FlakyObservation[]) => {
    let n = 0
    while (n < list.length && failing(list[n]!.status)) n++
    return n
  }
  const worst = byLine(onBranch).reduce((a, b) => trailingOf(b) > trailingOf(a) ? b : a, onBranch)
  const trailing = trailingOf(worst)
  const onLabelBranch = trailing >= options.brokenStreak ? worst : onBranch
  const none = { branch, failingSince: null, lastPassed: null, streak: 0, streakOpen: false }
  if (trailing >= options.brokenStreak) {
    const passed = onLabelBranch[trailing]
    const streakOpen = !passed && !context.complete
    const failingSince = runRef(onLabelBranch[trailing - 1]!)
    return {
      label: 'broken', reason: brokenReason(trailing, branch, streakOpen ? null : failingSince, streakOpen),
      branch, failingSince, lastPassed: passed ? runRef(passed) : null, streak: trailing, streakOpen,
    }
  }
  if (direct > 0 || c.k >= options.minIndirectEvidence) return { ...none, label: 'flaky', reason: flakyReason(c) }
  const window = onLabelBranch.slice(0, options.window)
  if (window.length < options.minRuns) return { ...none, ...labelOfPasses(window.length, branch, options) }
  return { ...none, label: 'stable', reason: stableReason(window, trailing, branch) }
}

/**
 * The label of a test that never failed nor flaked, from how many results it has on its label branch: what
 * assessFlakiness gives it, without its history (ingest labels such tests from a count).
 */
export function labelOfPasses(runs: number, branch: string | null, options: FlakyOptions = DEFAULT_FLAKY_OPTIONS): Pick<FlakyAssessment, 'label' | 'reason'> {
  const n = Math.min(runs, options.window)
  if (n >= options.minRuns) return { label: 'stable', reason: `no failure in ${plural(n, 'run')} ${onBranch(branch)}` }
  return { label: 'new', reason: n ? `only ${plural(n, 'run')} ${onBranch(branch)} so far` : `no runs ${onBranch(branch)} yet` }
}

/**
 * The failures in the windows a test's label and reason read: the newest results on every branch (the evidence) and on
 * its label branch (the reason's "4 of the last 30 runs failed"). A stable test with any keeps being rescored as it
 * passes (UNDER_WATCH in services/flakiness.ts); counted over the first window alone, a test whose failures on its label
 * branch lay behind thirty newer results elsewhere kept a reason naming failures long gone from its window.
 */
function windowFailures(window: FlakyObservation[], labelWindow: FlakyObservation[]): number {
  return new Set([...window, ...labelWindow].filter(o => failing(o.status)).map(o => o.resultId)).size
}

/**
 * The branch a flaky label names: one whose own results show the flake as the label reads it (a pass on retry there, a
 * commit that failed and passed there, or `minIndirect` flip failures there), the label's branch when it is one, else
 * the one with the newest evidence. A failure of a commit that passed only on another branch, or one flip, is no flake
 * of its branch: a test that passed on retry on a pull request and failed for good on main (merged there, or failed
 * once where main's job has no retries) is flaky on the pull request's branch, not on main, where its next failure on
 * any pull request would read "already failing or flaky" (known). When no branch shows it alone, the label's branch if
 * it holds evidence, else the newest evidence's. `window` is newest first; `flipsOn` counts flips into `add`.
 */
function flakeBranch(
  window: FlakyObservation[], evidence: Map<string, FlakyEvidenceItem>, labelBranch: string | null, minIndirect: number,
  flipsOn: (add: AddEvidence) => void,
): string | null {
  const branches = [...new Set(window.filter(o => evidence.has(o.resultId)).map(o => o.branch))]
  const showsFlake = (branch: string | null) => {
    const own = window.filter(o => o.branch === branch)
    const found = new Set<string>()
    const add: AddEvidence = o => o.branch === branch && !found.has(o.resultId) && !!found.add(o.resultId)
    if (countRetryPasses(own, add) + countMixedCommits(own, add) > 0) return true
    flipsOn(add)
    return found.size >= minIndirect
  }
  const showing = branches.filter(showsFlake)
  if (showing.includes(labelBranch)) return labelBranch
  return showing[0] ?? (branches.includes(labelBranch) ? labelBranch : branches[0] ?? labelBranch)
}

/**
 * Flakiness of one test case from its results (any order). Three kinds of evidence, each pointing at a result, read
 * from the newest `window` results on every branch: a pass on retry inside one run; a failure on a commit where the
 * same test also passed; a short burst of failures on a branch that passes again (a flip). Failure streaks of
 * `brokenStreak` or more on one branch are a regression, not flakes. The label is read from the branch that matters
 * (see labelBranch), never from whichever branch ran last: `broken` when its latest results there are such a streak,
 * `flaky` on enough evidence, `new` with fewer than `minRuns` results there, else `stable`. Runs that failed
 * wholesale (infrastructure) are left out.
 */
export function assessFlakiness(
  observations: FlakyObservation[],
  options: FlakyOptions = DEFAULT_FLAKY_OPTIONS,
  context: FlakyContext = { defaultBranch: null, complete: true },
): FlakyAssessment {
  const counted = observations
    .filter(o => !o.infra && o.status !== 'skipped')
    .sort((a, b) => b.at.getTime() - a.at.getTime() || b.resultId.localeCompare(a.resultId))
  const window = counted.slice(0, options.window)
  const evidence = new Map<string, FlakyEvidenceItem>()
  // A result is evidence once, of the first kind found (retry-pass, then same-commit-mixed, then flip).
  const add: AddEvidence = (o, kind) => {
    if (evidence.has(o.resultId)) return false
    evidence.set(o.resultId, {
      runId: o.runId, resultId: o.resultId, commit: o.commit, kind, at: o.at.toISOString(),
      ...(o.attempts > 1 ? { attempts: o.attempts } : {}),
    })
    return true
  }
  const retryPasses = countRetryPasses(window, add)
  const mixedCommits = countMixedCommits(window, add)
  // whether a streak at the window's oldest edge may go back further: the branch's newest result before the window
  // failed, or none was read and older results may exist
  const beyond = counted.slice(options.window)
  const olderOf = (branch: string) => {
    const before = beyond.find(o => (o.branch ?? '') === branch)
    return before ? failing(before.status) : !context.complete && counted.length >= options.window
  }
  const flips = countFlips(byBranchOldestFirst(window), options.brokenStreak, add, context.defaultBranch, olderOf)
  const n = window.length
  const k = evidence.size
  const decided = decideLabel(counted, { n, k, retryPasses, flips, mixedCommits }, retryPasses + mixedCommits, options, context)

  const items = [...evidence.values()].sort((a, b) => b.at.localeCompare(a.at) || b.resultId.localeCompare(a.resultId))
  const branch = decided.label === 'flaky'
    ? flakeBranch(window, evidence, decided.branch, options.minIndirectEvidence,
        add => countFlips(byBranchOldestFirst(window), options.brokenStreak, add, context.defaultBranch, olderOf))
    : decided.branch
  return {
    score: n ? Math.round((k / n) * 1000) / 1000 : 0,
    confidence: Math.round(wilsonLower(k, n) * 1000) / 1000,
    ...decided,
    branch,
    evidence: items.slice(0, EVIDENCE_KEPT),
    lastFlakeAt: items[0] ? new Date(items[0].at) : null,
    sample: n,
    retryPasses,
    flips,
    mixedCommits,
    windowFailures: windowFailures(window, counted.filter(o => o.branch === branch).slice(0, options.window)),
  }
}
