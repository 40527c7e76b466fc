import { describe, expect, it } from 'vitest'
import {
  basisOf, MAX_BRANCHES, MAX_VARIANTS, mergeBasis, newEvidence, OLDER_BASIS, type ClusterFacts, type EvidenceBasis,
} from '../../../server/analysis/diagnosis-basis'

const PAYS = { id: 't1', test: 'checkout › pays', label: 'flaky' }
const SHIPS = { id: 't2', test: 'checkout › ships', label: 'stable' }
const FACTS: ClusterFacts = { tests: 2, tracked: [PAYS, SHIPS], branches: ['main'], regressedAt: null, fingerprint: 'v3:aaa' }
const TOTAL = 'expected: <19.00> but was: <19.60>'

const facts = (over: Partial<ClusterFacts>): ClusterFacts => ({ ...FACTS, ...over })
const names = new Map([[PAYS.id, PAYS.test], [SHIPS.id, SHIPS.test]])
const first = basisOf([TOTAL, TOTAL], FACTS)

describe('evidence basis: what is material', () => {
  const CHANGES: { what: string, now: EvidenceBasis, said: string[] }[] = [
    { what: 'the same failure again, with other numbers', now: basisOf(['expected: <21.00> but was: <21.70>'], FACTS), said: [] },
    {
      what: 'counters and scores that move every run are not in the basis at all',
      now: basisOf([TOTAL], facts({ tracked: [{ ...PAYS }, { ...SHIPS }] })), said: [],
    },
    {
      what: 'a tracked test turns broken',
      now: basisOf([TOTAL], facts({ tracked: [{ ...PAYS, label: 'broken' }, SHIPS] })),
      said: ['"checkout › pays" turned broken (was flaky)'],
    },
    {
      what: 'a test joins the tracked ones: a new affected test, not a label change',
      now: basisOf([TOTAL], facts({ tests: 3, tracked: [PAYS, SHIPS, { id: 't3', test: 'cart › adds', label: 'broken' }] })),
      said: ['1 new affected test'],
    },
    { what: 'a new branch', now: basisOf([TOTAL], facts({ branches: ['main', 'feature/tax'] })), said: ['new branch feature/tax'] },
    { what: 'a new error variant', now: basisOf(['expected: <PAID> but was: <PENDING>'], FACTS), said: ['1 new error variant'] },
    {
      what: 'a regression',
      now: basisOf([TOTAL], facts({ regressedAt: '2026-11-30T10:00:00.000Z' })),
      said: ['regressed: it failed again after it was resolved'],
    },
    {
      what: 'a new fingerprint after a re-clustering',
      now: basisOf([TOTAL], facts({ fingerprint: 'v4:bbb' })), said: ['re-clustered by a newer fingerprint algorithm'],
    },
    {
      what: 'several at once, in a fixed order',
      now: basisOf([TOTAL, 'Error: connect ECONNREFUSED 127.0.0.1:5432'], facts({ tracked: [PAYS, { ...SHIPS, label: 'flaky' }], branches: ['main', 'a', 'b'] })),
      said: ['"checkout › ships" turned flaky (was stable)', 'new branches a, b', '1 new error variant'],
    },
  ]

  it.each(CHANGES)('$what', ({ now, said }) => {
    expect(newEvidence(first, now, names)).toEqual(said)
  })

  it('a basis of an older release (no labels) is followed by one version that says so', () => {
    const { labels: _l, branches: _b, regressedAt: _r, fingerprint: _f, ...older } = first
    expect(newEvidence(older, first, names)).toEqual([OLDER_BASIS])
  })

  it('many label changes make one phrase', () => {
    const tracked = Array.from({ length: 6 }, (_, i) => ({ id: `x${i}`, test: `t${i}`, label: 'flaky' }))
    const before = basisOf([TOTAL], facts({ tests: 6, tracked }))
    const after = basisOf([TOTAL], facts({ tests: 6, tracked: tracked.map(t => ({ ...t, label: 'broken' })) }))
    expect(newEvidence(before, after)).toEqual(['"x0" turned broken (was flaky), "x1" turned broken (was flaky) and 4 more label changes'])
  })

  it('says label changes in name order, whatever order the tests come in', () => {
    const tracked = [{ id: 'b', test: 'tb', label: 'new' }, { id: 'a', test: 'ta', label: 'new' }]
    const before = basisOf([TOTAL], facts({ tests: 2, tracked }))
    const after = basisOf([TOTAL], facts({ tests: 2, tracked: tracked.map(t => ({ ...t, label: 'stable' })) }))
    const names = new Map([['a', 'suite › test 03'], ['b', 'suite › test 04']])
    expect(newEvidence(before, after, names)).toEqual(['"suite › test 03" turned stable (was new)', '"suite › test 04" turned stable (was new)'])
  })

  it('stops counting variants and branches once there are too many to mean anything', () => {
    const many = basisOf(Array.from({ length: MAX_VARIANTS + 5 }, (_, i) => `failure number ${'x'.repeat(i)}`), FACTS)
    expect(many.saturated).toBe(true)
    expect(newEvidence(many, basisOf(['something else entirely'], FACTS))).toEqual([])
    expect(newEvidence(many, basisOf(['something else entirely'], facts({ tests: 3 })))).toEqual(['1 new affected test'])
    const branches = Array.from({ length: MAX_BRANCHES }, (_, i) => `feature/${String(i).padStart(3, '0')}`)
    const everywhere = basisOf([TOTAL], facts({ branches }))
    expect(newEvidence(everywhere, basisOf([TOTAL], facts({ branches: [...branches, 'zzz'] })))).toEqual([])
  })
})

describe('evidence basis: merging', () => {
  it('keeps variants that left the recent window, and the labels of tests that left the tracked ones', () => {
    const later = basisOf(['expected: <PAID> but was: <PENDING>'], facts({ tests: 1, tracked: [SHIPS] }))
    const merged = mergeBasis(first, later)
    expect(merged.tests).toBe(2)
    expect(merged.variants).toHaveLength(2)
    expect(merged.labels).toEqual({ t2: 'stable', t1: 'flaky' })
    expect(newEvidence(merged, basisOf([TOTAL], FACTS), names)).toEqual([])
    // pays comes back broken: compared with the label it was last seen with
    expect(newEvidence(merged, basisOf([TOTAL], facts({ tracked: [{ ...PAYS, label: 'broken' }] })), names))
      .toEqual(['"checkout › pays" turned broken (was flaky)'])
  })

  it('a regression is news once: the same one again is not', () => {
    const regressed = basisOf([TOTAL], facts({ regressedAt: '2026-11-30T10:00:00.000Z' }))
    const merged = mergeBasis(first, regressed)
    expect(newEvidence(merged, regressed)).toEqual([])
    expect(newEvidence(merged, basisOf([TOTAL], facts({ regressedAt: '2026-12-02T08:00:00.000Z' }))))
      .toEqual(['regressed: it failed again after it was resolved'])
  })
})
