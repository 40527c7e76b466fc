import { describe, expect, it } from 'vitest'
import { assessFlakiness, wilsonLower, type FlakyObservation } from '../../../server/analysis/flakiness'

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
    ['', 'stable', 0, 'no history'],
    ['PPPPRPPPPP', 'flaky', 1, 'one pass on retry is direct evidence'],
    ['PPPPFPPPPP', 'stable', 1, 'one isolated flip is not enough on its own'],
    ['PPFPPPFPPP', 'flaky', 2, 'two isolated flips'],
    ['PPFFPPPPPP', 'flaky', 2, 'a two-run burst closed by a pass'],
    ['PPPFFFFFFPPP', 'stable', 0, 'a regression fixed later is not flaky'],
    ['PPPPPPPFFF', 'broken', 0, 'failing consistently now'],
    ['PPRPPFPPFFFF', 'broken', 2, 'a flaky test that is now broken is broken'],
    ['PPPPIPPPPIPP', 'stable', 0, 'infrastructure runs are left out'],
    ['PPPPF=PPPPP', 'flaky', 1, 'failed and passed on one commit'],
    ['SSSSSSSS', 'stable', 0, 'only skipped'],
    ['PPPPPPPF', 'stable', 0, 'a failure not yet followed by a pass is not a flip yet'],
    ['PEPPEPP', 'flaky', 2, 'errored counts as failing'],
  ])('%s → %s (%s evidence): %s', (spec, label, evidence) => {
    const a = assessFlakiness(history(spec))
    expect(a.label).toBe(label)
    expect(a.evidence).toHaveLength(evidence)
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

  it('counts flips per branch: a broken feature branch interleaved with a green main is not a flake', () => {
    const main = history('PPPPPPPPPP', 'main')
    const feature = history('FFFF', 'feat/x').map((o, i) => ({ ...o, at: new Date(main[2 * i + 1]!.at.getTime() + 60_000), resultId: `f${i}` }))
    const a = assessFlakiness([...main, ...feature])
    expect(a.flips).toBe(0)
    expect(a.label).toBe('stable')
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
