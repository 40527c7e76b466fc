import { describe, expect, it } from 'vitest'
import { assessFlakiness, isInfrastructureRun, labelBranch, outageOf, labelOfPasses, wilsonLower, type FailureCause, type FlakyObservation } from '../../../server/analysis/flakiness'

/**
 * A history written as a string, oldest first, one letter per run on `main` with a new commit each:
 * P pass, F fail, E errored, R pass on retry, S skipped, I failure in an infrastructure run,
 * `=` before a letter repeats the previous commit (a re-run).
 */
function history(spec: string, branch = 'main', start = 0): FlakyObservation[] {
  const out: FlakyObservation[] = []
  let commit = 0
  let i = start
  for (let c = 0; c < spec.length; c++) {
    const ch = spec[c]!
    if (ch === '=') {
      commit--
      continue
    }
    i++
    commit++
    out.push({
      resultId: `r${String(i).padStart(4, '0')}`,
      runId: `run${i}`,
      branch,
      commit: `${branch}-${commit}`,
      at: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000),
      status: ch === 'P' || ch === 'R' ? 'passed' : ch === 'S' ? 'skipped' : ch === 'E' ? 'errored' : 'failed',
      flaky: ch === 'R',
      attempts: ch === 'R' ? 2 : 1,
      infra: ch === 'I',
    })
  }
  return out
}

describe('assessFlakiness', () => {
  it.each([
    // [history, label, evidence count, why]
    ['PPPPPPPPPP', 'stable', 0, 'always green'],
    ['', 'new', 0, 'no history'],
    ['PPPP', 'new', 0, 'four runs are too few to say'],
    ['PPPPP', 'stable', 0, 'five runs without a failure'],
    ['FFF', 'broken', 0, 'failed 3 of 3 runs'],
    ['FF', 'new', 0, 'two failures are too few to call it broken'],
    ['PPPPRPPPPP', 'flaky', 1, 'one pass on retry is direct evidence'],
    ['PPPPFPPPPP', 'stable', 1, 'one isolated flip is not enough on its own'],
    ['PPFPPPFPPP', 'flaky', 2, 'two isolated flips'],
    ['PPFFPPPPPP', 'flaky', 2, 'a two-run burst closed by a pass'],
    // a review's Go test: a commit broke it in both the unit and the race job, and the next commit fixed it
    ['PPPPF=FPPPPP', 'stable', 1, 'one commit failing in two jobs, then fixed, is one burst\'s one failure'],
    ['PPPFFFFFFPPP', 'stable', 0, 'a regression fixed later is not flaky'],
    ['PPPPPPPFFF', 'broken', 0, 'failing consistently now'],
    ['PPRPPFPPFFFF', 'broken', 2, 'a flaky test that is now broken is broken'],
    ['PPPPIPPPPIPP', 'stable', 0, 'infrastructure runs are left out'],
    ['PPPPF=PPPPP', 'flaky', 1, 'failed and passed on one commit'],
    ['SSSSSSSS', 'new', 0, 'only skipped'],
    ['PPPPPPPF', 'stable', 0, 'a failure not yet followed by a pass is not a flip yet'],
    ['PEPPEPP', 'flaky', 2, 'errored counts as failing'],
  ])('%s → %s (%s evidence): %s', (spec, label, evidence) => {
    const a = assessFlakiness(history(spec))
    expect(a.label).toBe(label)
    expect(a.evidence).toHaveLength(evidence)
  })

  it.each([
    // [history, failures in the window: while above 0, ingest rescores the test on a pass]
    ['PPPPPPPPPP', 0],
    ['PPPPPPPF', 1],
    ['PPFPPPEPPP', 2],
    ['PPPPIPPP', 0],
    [`F${'P'.repeat(30)}`, 0],
    [`F${'P'.repeat(29)}`, 1],
  ])('%s has %i failure(s) in its window', (spec, failures) => {
    expect(assessFlakiness(history(spec)).windowFailures).toBe(failures)
  })

  it('counts the failures its reason names: on the label branch behind thirty newer results of other branches', () => {
    // four failures on main, then main passes ten times while feature branches run thirty times after them
    const main = history(`PPFPFPFPFP${'P'.repeat(10)}`)
    const feature = history('P'.repeat(30), 'feat/x', 100)
    const a = assessFlakiness([...main, ...feature], undefined, { defaultBranch: 'main', complete: true })
    expect(a.branch).toBe('main')
    expect(a.reason).toMatch(/^passing on main; 4 of the last 20 runs failed/)
    // the test stays under watch while its reason names failures, so a later pass rewrites the reason
    expect(a.windowFailures).toBe(4)
    const later = assessFlakiness([...history(`PPFPFPFPFP${'P'.repeat(30)}`), ...feature], undefined, { defaultBranch: 'main', complete: true })
    expect(later.reason).toBe('no failure in 30 runs on main')
    expect(later.windowFailures).toBe(0)
  })

  it('scores the share of evidence in the window with a Wilson lower bound', () => {
    const a = assessFlakiness(history('RPPPRPPPRP'))
    expect(a.score).toBe(0.3)
    expect(a.retryPasses).toBe(3)
    expect(a.confidence).toBeCloseTo(wilsonLower(3, 10), 3)
    expect(a.confidence).toBeGreaterThan(0.1)
    expect(a.confidence).toBeLessThan(0.3)
  })

  it('only reads the newest `window` results', () => {
    const a = assessFlakiness(history(`RR${'P'.repeat(30)}`))
    expect(a.label).toBe('stable')
    expect(a.sample).toBe(30)
  })

  it.each([
    // [history, mixed commits, flips, reason]
    ['PPFP=FPPFPPFPP', 1, 3, 'failed and passed on the same commit once; 3 short failure bursts that passed again'],
    ['PPF=PPPFPPFPP', 1, 2, 'failed and passed on the same commit once; 2 short failure bursts that passed again'],
    ['PPFPPFPPFP', 0, 3, '3 short failure bursts that passed again'],
  ])('%s: the reason\'s parts count each failure once (a burst on a mixed commit is not a flip too)', (spec, mixed, flips, reason) => {
    const a = assessFlakiness(history(spec))
    expect([a.mixedCommits, a.flips, a.reason]).toEqual([mixed, flips, reason])
    expect(a.evidence.filter(e => e.kind === 'flip')).toHaveLength(flips)
  })

  /** Two matrix legs (FlakyObservation.line) of each commit: `a` and `b` their results, one letter per commit. */
  function legs(a: string, b: string): FlakyObservation[] {
    const [x, y] = [history(a), history(b)]
    return [...x.map(o => ({ ...o, line: 'node-18' })), ...y.map(o => ({ ...o, line: 'node-20', resultId: `b${o.resultId}`, runId: `b${o.runId}`, at: new Date(o.at.getTime() + 60_000) }))]
  }

  it.each([
    // [leg node-18, leg node-20, label, why]
    ['PPPPPFPPPP', 'PPPPPPPPPP', 'stable', 'a failure on one leg while the other passes the same commit is that leg\'s, not a flake'],
    ['PPPPPPPFFF', 'PPPPPPPPPP', 'broken', 'failing every run of one leg while the other passes is broken there'],
    ['PPPPPFPPPP', 'PPPPPFPPPP', 'stable', 'a commit that failed on both legs, then fixed, is one failure that passed again'],
    ['PPRPPPPPPP', 'PPPPPPPPPP', 'flaky', 'a pass on retry is evidence on any leg'],
    ['PPPPF=PPPPP', 'PPPPPPPPPP', 'flaky', 'a failure and a pass on one commit of one leg is'],
  ])('matrix legs %s / %s → %s: %s', (a, b, label) => {
    expect(assessFlakiness(legs(a, b)).label).toBe(label)
  })

  /** `spec`'s history with the runs at `at` (0-based) made a failure after a pass in an earlier upload of the run. */
  const passedThenFailed = (spec: string, at: number[], more: Partial<FlakyObservation> = {}) =>
    history(spec).map((o, i) => at.includes(i) ? { ...o, status: 'failed' as const, attempts: 2, passedEarlier: true, ...more } : o)

  it.each([
    // [history, re-run failures, extra, label, retry passes, mixed commits, flips, reason]
    ['PPPPPPPPPP', [9], {}, 'flaky', 0, 1, 0, 'failed and passed on the same commit once'],
    ['PPPPPPPPPP', [9], { commit: null }, 'flaky', 0, 1, 0, 'failed and passed on the same commit once'],
    ['PPPPPPPPPP', [3, 7], {}, 'flaky', 0, 2, 0, 'failed and passed on the same commit 2 times'],
  ] as const)('%s with %j passed then failed in a re-run → %s', (spec, at, more, label, retryPasses, mixedCommits, flips, reason) => {
    const a = assessFlakiness(passedThenFailed(spec, [...at], more))
    expect({ label: a.label, retryPasses: a.retryPasses, mixedCommits: a.mixedCommits, flips: a.flips, reason: a.reason })
      .toEqual({ label, retryPasses, mixedCommits, flips, reason })
    expect(a.evidence.filter(e => e.kind === 'same-commit-mixed').map(e => e.attempts)).toEqual(at.map(() => 2))
  })

  it('a retried failure that failed all its attempts is no mixed commit; one that passed first in its run is', () => {
    const failedTwice = history('PPPPPPPPPF').map((o, i) => i === 9 ? { ...o, attempts: 2 } : o)
    expect(assessFlakiness(failedTwice)).toMatchObject({ label: 'stable', mixedCommits: 0, evidence: [] })
    const rerun = failedTwice.map((o, i) => i === 9 ? { ...o, passedEarlier: true } : o)
    expect(assessFlakiness(rerun)).toMatchObject({ label: 'flaky', mixedCommits: 1, evidence: [{ runId: 'run10', kind: 'same-commit-mixed', attempts: 2 }] })
  })

  it('a burst with a failure that passed first in its run did not fail each of its retries: its other failure is a flip', () => {
    const burst = history('PPPPPFFPPPPP').map((o, i) => i === 5 || i === 6 ? { ...o, attempts: 3, passedEarlier: i === 5 } : o)
    expect(assessFlakiness(burst)).toMatchObject({
      label: 'flaky', mixedCommits: 1, flips: 1, reason: 'failed and passed on the same commit once; 1 short failure burst that passed again',
    })
  })

  it('a short burst whose every failure failed each of its retries is a short regression, not a flake', () => {
    const retried = history('PPPPPFFPPPPP').map(o => o.status === 'failed' ? { ...o, attempts: 3 } : o)
    expect([assessFlakiness(retried).label, assessFlakiness(retried).flips]).toEqual(['stable', 0])
    // one of its failures not retried: a flip as before
    const once = retried.map((o, i) => i === 5 ? { ...o, attempts: 1 } : o)
    expect([assessFlakiness(once).label, assessFlakiness(once).flips]).toEqual(['flaky', 1])
  })

  // the pull request feat/c passes the test on retry in its third run (commit feat/c-3); main's runs come before it,
  // and `merged` appends main's run of that very commit (a fast-forward merge) failing both tries
  const merged = (o: FlakyObservation) => ({ ...o, resultId: 'r0099', runId: 'run99', commit: 'feat/c-3', at: new Date(Date.UTC(2026, 0, 3)), attempts: 2 })
  it.each([
    // [main, feat/c, the flaky label's branch, why]
    ['PPPPPPPPPP', 'PPR', 'feat/c', 'a flake seen only on a feature branch is flaky there'],
    ['PPPPRPPPPP', 'PPR', 'main', 'a pass on retry on main too: main shows it'],
    ['PPPPF=PPPPP', 'PPR', 'main', 'main failed and passed on one commit: main shows it'],
    ['PPFPPPFPPP', 'PPR', 'main', 'two flips on main: main shows it'],
    ['PPPPFPPPPP', 'PPR', 'feat/c', 'one failure on main (no retries there) that passed next is not a flake of main'],
    ['PPPPPPPPPF+', 'PPR', 'feat/c', 'main failed for good on the merged commit the pull request flaked on'],
    ['PPPPFPPPPP', 'PPFP', 'main', 'one flip on each: no branch shows it alone, so the default branch, which holds evidence'],
  ])('labels %s on main and %s on feat/c flaky on %s: %s', (mainSpec, featSpec, branch) => {
    const main = history(mainSpec.replace('+', ''), 'main')
    const obs = [...mainSpec.endsWith('+') ? [...main.slice(0, -1), merged(main.at(-1)!)] : main, ...history(featSpec, 'feat/c', 20)]
    const a = assessFlakiness(obs, undefined, { defaultBranch: 'main', complete: true })
    expect([a.label, a.branch]).toEqual(['flaky', branch])
  })

  it('counts flips per branch: a broken feature branch interleaved with a green main is not a flake', () => {
    const main = history('PPPPPPPPPP', 'main')
    const feature = history('FFFF', 'feat/x').map((o, i) => ({ ...o, at: new Date(main[2 * i + 1]!.at.getTime() + 60_000), resultId: `f${i}` }))
    const a = assessFlakiness([...main, ...feature])
    expect(a.flips).toBe(0)
    expect(a.label).toBe('stable')
  })

  it('a fixed regression whose failing streak slides out of the window is no short burst', () => {
    // 10 failures, then the fix: at its 28th pass the window of 30 holds only the streak's last 2 failures
    const fixed = history(`${'P'.repeat(20)}${'F'.repeat(10)}${'P'.repeat(28)}`)
    const read = { defaultBranch: 'main', complete: false }
    const a = assessFlakiness(fixed, undefined, read)
    expect([a.label, a.flips, a.evidence]).toEqual(['stable', 0, []])
    // and with only the window read (the older results unknown), the same
    expect(assessFlakiness(fixed.slice(-30), undefined, read).flips).toBe(0)
    // a burst of 2 at the window's edge that a pass before the window closes is a burst
    const burst = history(`${'P'.repeat(20)}FF${'P'.repeat(28)}`)
    expect(assessFlakiness(burst, undefined, read).flips).toBe(1)
    // the whole history read: a test that failed its first two runs and then passed is a burst
    expect(assessFlakiness(history(`FF${'P'.repeat(28)}`), undefined, { defaultBranch: 'main', complete: true }).flips).toBe(1)
  })

  it('a feature branch that inherits the default branch\'s regression, then passes after a rebase, does not flip', () => {
    // main broke at its 6th run and was fixed at its 12th; the branch failed twice meanwhile, and passed once rebased
    const main = history('PPPPPFFFFFFPPPPPPPPP', 'main')
    const branch = (spec: string, after: number[]) => history(spec, 'feat/dark').map((o, i) => ({ ...o, at: new Date(main[after[i]!]!.at.getTime() + 60_000), resultId: `d${i}` }))
    const context = { defaultBranch: 'main', complete: true }
    const inherited = assessFlakiness([...main, ...branch('FFP', [6, 8, 12])], undefined, context)
    expect([inherited.label, inherited.flips]).toEqual(['stable', 0])
    // the same burst while main was green is the branch's own flake
    const own = assessFlakiness([...main, ...branch('PFP', [1, 2, 3])], undefined, context)
    expect(own.flips).toBe(1)
  })

  it('lists evidence newest first, pointing at runs and commits, and dates the last flake', () => {
    const obs = history('PRPPFPP')
    const a = assessFlakiness(obs)
    expect(a.evidence.map(e => e.kind)).toEqual(['flip', 'retry-pass'])
    expect(a.evidence[0]).toMatchObject({ runId: 'run5', commit: 'main-5' })
    expect(a.evidence[1]).toMatchObject({ runId: 'run2', attempts: 2 })
    expect(a.lastFlakeAt?.toISOString()).toBe(obs[4]!.at.toISOString())
  })
})

/** Runs of another branch slotted in after the given main results (one minute later each), so they are newer. */
function interleave(main: FlakyObservation[], spec: string, branch: string, every: number): FlakyObservation[] {
  const other = history(spec, branch, 100_000)
  const after = (i: number) => main[Math.min(main.length - 1, (i + 1) * every - 1)]!.at.getTime() + 60_000
  return [...main, ...other.map((o, i) => ({ ...o, at: new Date(after(i)) }))]
}

describe('labels come from the branch that matters', () => {
  const onMain = { defaultBranch: 'main', complete: true }
  it.each([
    // [observations, context, label, reason]
    [history('PPPPPPPPPP'), onMain, 'stable', 'no failure in 10 runs on main'],
    [history('PPP'), onMain, 'new', 'only 3 runs on main so far'],
    [history('PPPPPFFFFFFF'), onMain, 'broken', 'failed the last 7 runs on main since main-6'],
    [history('FFF'), onMain, 'broken', 'failed the last 3 runs on main since main-1'],
    [history('FFFFFFFF'), { defaultBranch: 'main', complete: false }, 'broken', 'failed every run on main (at least the last 8)'],
    [history('PPRPPPRPPPRPPP'), onMain, 'flaky', 'passed on retry in 3 of 14 runs'],
    [history('PPPPPPPPPPF'), onMain, 'stable', 'failed the last 1 run of 11 on main, too few in a row to call it broken'],
    [history('PPPFFFFPPPPP'), onMain, 'stable', 'passing on main; 4 of the last 12 runs failed, not in a flaky pattern'],
    // the newest result is a feature branch's single pass: main's streak still decides
    [interleave(history('PPPFFFFFFFFFFFF'), 'P', 'feat/x', 15), onMain, 'broken', 'failed the last 12 runs on main since main-4'],
    // a test that never ran on main is read from the branch with most of its results
    [[...history('PPPPPP', 'release'), ...history('FFF', 'feat/y', 50)], onMain, 'stable', 'no failure in 6 runs on release'],
    [history('PPPPPPP', null as unknown as string), onMain, 'stable', 'no failure in 7 runs on runs without a branch'],
  ])('%#: %s', (observations, context, label, reason) => {
    const a = assessFlakiness(observations, undefined, context)
    expect([a.label, a.reason]).toEqual([label, reason])
  })

  it('keeps a test failing 1,900 runs in a row on main broken though a feature branch passed it last', () => {
    const main = history(`${'P'.repeat(100)}${'F'.repeat(1900)}`)
    const all = interleave(main, 'P'.repeat(500), 'feat/x', 4)
    expect(all.sort((a, b) => b.at.getTime() - a.at.getTime())[0]!.branch).toBe('feat/x')
    // the caller loads only the newest results: 60 of them, 12 on the feature branch
    const a = assessFlakiness(all.slice(0, 60), undefined, { defaultBranch: 'main', complete: false })
    expect(a).toMatchObject({ label: 'broken', branch: 'main', streak: 48, streakOpen: true, lastPassed: null })
    const whole = assessFlakiness(all, undefined, { defaultBranch: 'main', complete: true })
    expect(whole).toMatchObject({ label: 'broken', streak: 1900, streakOpen: false, score: 0 })
    expect(whole.failingSince).toEqual({ runId: 'run101', commit: 'main-101', startedAt: main[100]!.at.toISOString() })
    expect(whole.lastPassed).toEqual({ runId: 'run100', commit: 'main-100', startedAt: main[99]!.at.toISOString() })
    expect(whole.reason).toBe('failed the last 1900 runs on main since main-10')
  })

  it('points failingSince past infrastructure runs and skips, and leaves it null for tests that are not broken', () => {
    const a = assessFlakiness(history('PPPPPIFSFF'), undefined, { defaultBranch: 'main', complete: true })
    expect(a).toMatchObject({ label: 'broken', streak: 3, failingSince: { runId: 'run7' }, lastPassed: { runId: 'run5' } })
    const never = assessFlakiness(history('FFFF'), undefined, { defaultBranch: 'main', complete: true })
    expect(never).toMatchObject({ failingSince: { runId: 'run1' }, lastPassed: null, streakOpen: false })
    for (const spec of ['PPPPPP', 'PPRPPRPP', 'PP']) {
      expect(assessFlakiness(history(spec)), spec).toMatchObject({ failingSince: null, lastPassed: null, streak: 0 })
    }
  })

  it.each([
    [[], 'main', 'main'],
    [history('PP', 'feat'), 'main', 'feat'],
    [[...history('P', 'main'), ...history('PPPP', 'feat', 10)], 'main', 'main'],
    [[...history('PPP', 'a'), ...history('PP', 'b', 10)], 'main', 'a'],
  ])('labelBranch %#', (obs, defaultBranch, expected) => {
    const newestFirst = [...obs].sort((a, b) => b.at.getTime() - a.at.getTime())
    expect(labelBranch(newestFirst, defaultBranch)).toBe(expected)
  })
})

describe('wilsonLower', () => {
  it.each([
    [0, 10, 0],
    [10, 10, 0.722],
    [1, 30, 0.006],
    [5, 10, 0.237],
  ])('%i of %i → %f', (k, n, expected) => {
    expect(wilsonLower(k, n)).toBeCloseTo(expected, 3)
  })
})

describe('labelOfPasses', () => {
  it.each(['', 'P', 'PPPP', 'PPPPP', 'P'.repeat(40)])('gives a passing history %s the label and reason assessFlakiness gives it', (spec) => {
    const a = assessFlakiness(history(spec), undefined, { defaultBranch: 'main', complete: true })
    expect(labelOfPasses(spec.length, 'main')).toEqual({ label: a.label, reason: a.reason })
  })
})

describe('isInfrastructureRun', () => {
  const refused = (port = 5432) => `Error: connect ECONNREFUSED 127.0.0.1:${port}`
  const browser = 'Error: browserType.launch: Target page, context or browser has been closed'
  const assertion = (n: number) => `AssertionError: expected ${n} to equal ${n + 1}`
  const status500 = 'Error: expect(received).toBe(expected)\n\nExpected: 200\nReceived: 500'
  const navigation = (path: string) => `Error: page.goto: Timeout 30000ms exceeded.\nCall log:\n  - navigating to "http://localhost:3000${path}", waiting until "load"`
  const locator = (id: string) => `Error: locator.click: Timeout 10000ms exceeded.\nCall log:\n  - waiting for getByTestId('${id}')`
  const cause = (failures: number, message: string | null): FailureCause => ({ failures, message, stack: null })
  // failures given per cause (one cluster each, with its error; failures without an error together): [executed, causes]
  it.each([
    ['an outage: 10 of 12 refused connections', 12, [cause(10, refused())], true],
    ['a browser that did not launch for 51 of 60, two tests with their own bugs', 60, [cause(49, browser), cause(1, assertion(1)), cause(1, assertion(2))], true],
    ['an outage of two causes, half each: the database and the browser', 20, [cause(6, refused()), cause(6, browser)], true],
    ['a dead service refusing on two ports: one network cause', 12, [cause(5, refused(5432)), cause(5, refused(6379))], true],
    ['every page navigation timing out, each on its own URL', 12, Array.from({ length: 12 }, (_, i) => cause(1, navigation(`/page-${i}`))), true],
    ['a regression: 30 API tests failing `expected 200, received 500`', 40, [cause(30, status500)], false],
    ['a regression: one assertion failing 8 of 10', 10, [cause(8, assertion(1))], false],
    ['a shard of 6 failing alike among 10 tests, without an error', 10, [cause(6, null)], false],
    ['a UI regression: 12 locator timeouts on a page that loaded', 12, Array.from({ length: 12 }, (_, i) => cause(1, locator(`item-${i}`))), false],
    ['a small module: 5 of 10 failing with five different assertions', 10, [1, 2, 3, 4, 5].map(n => cause(1, assertion(n))), false],
    ['8 of 10 failing, their commonest outage cause 3 of them', 10, [cause(3, refused()), cause(2, assertion(1)), cause(2, assertion(2)), cause(1, assertion(3))], false],
    ['a build that broke: 12 Go packages\' `[build failed]`, one compiler error', 12, [cause(12, 'internal/cart/cart.go:8:21: undefined: Discunt')], false],
    ['a build that broke: TypeScript in 10 of 11 test files', 11, [cause(10, 'src/cart.ts(8,21): error TS2322: Type \'number\' is not assignable to type \'string\'.')], false],
    ['9 of 9 refused: too few tests to call an outage', 9, [cause(9, refused())], false],
    ['4 of 10 refused: under half the tests', 10, [cause(4, refused())], false],
    ['a green run', 40, [], false],
  ] as const)('%s', (_, executed, causes, expected) => {
    const failing = causes.reduce((n, c) => n + c.failures, 0)
    expect(isInfrastructureRun({ executed, failing, causes: [...causes] }, 0.5)).toBe(expected)
  })

  it('follows the configured share of failing tests', () => {
    expect(isInfrastructureRun({ executed: 10, failing: 7, causes: [cause(7, refused())] }, 0.8)).toBe(false)
    expect(isInfrastructureRun({ executed: 10, failing: 8, causes: [cause(8, refused())] }, 0.8)).toBe(true)
  })
})

describe('outageOf', () => {
  const cause = (failures: number, message: string | null, stack: string | null = null): FailureCause => ({ failures, message, stack })
  const refused = (port: number) => `Error: connect ECONNREFUSED 127.0.0.1:${port}`
  const browser = 'Error: browserType.launch: Target page, context or browser has been closed'
  // [name, executed, causes, what the receipt says: cause, failures with it, its error]
  it.each([
    ['one refused connection', 10, [cause(10, refused(5432))], ['network', 10, refused(5432)]],
    ['a dead service on two ports: one cause, quoted by its larger group', 12, [cause(4, refused(6379)), cause(6, refused(5432))],
      ['network', 10, refused(5432)]],
    ['the browser for most, the database for a few', 20, [cause(12, browser), cause(4, refused(5432))], ['process-crash', 12, browser]],
    ['the line the rule read, not the message\'s first', 10, [cause(10, 'Request failed\n  cause: connect ECONNREFUSED 10.0.0.5:8080')],
      ['network', 10, 'cause: connect ECONNREFUSED 10.0.0.5:8080']],
    ['an error only in the stack', 10, [cause(10, null, `${refused(5432)}\n    at TCPConnectWrap.afterConnect`)], ['network', 10, refused(5432)]],
    ['a regression is none', 10, [cause(10, 'AssertionError: expected 3 to equal 4')], null],
    ['too few tests is none', 9, [cause(9, refused(5432))], null],
  ] as const)('%s', (_, executed, causes, expected) => {
    const failing = causes.reduce((n, c) => n + c.failures, 0)
    const outage = outageOf({ executed, failing, causes: [...causes] }, 0.5)
    expect(outage && [outage.cause, outage.failures, outage.error]).toEqual(expected)
  })

  it('cuts a long error line', () => {
    const outage = outageOf({ executed: 10, failing: 10, causes: [cause(10, `Error: connect ECONNREFUSED ${'x'.repeat(400)}.example:5432`)] }, 0.5)
    expect(outage!.error).toHaveLength(200)
    expect(outage!.error.endsWith('…')).toBe(true)
  })
})
