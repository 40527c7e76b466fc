import { describe, expect, it } from 'vitest'
import { isSlower, relativeChange } from '../../../server/analysis/durations'

describe('isSlower (duration regressions: ≥ 20% and ≥ 100 ms)', () => {
  it.each<[number | null, number | null, boolean, string]>([
    [1000, 1200, true, 'exactly 20% and 200 ms'],
    [1000, 1199, false, 'under 20%'],
    [500, 600, true, 'exactly 20% and exactly 100 ms'],
    [500, 599, false, '20% but 99 ms'],
    [50, 140, false, '180% but 90 ms: a fast test is not a regression for noise'],
    [50, 150, true, '200% and 100 ms'],
    [0, 100, true, 'from 0 ms'],
    [0, 99, false, 'from 0 ms, under 100 ms'],
    [10_000, 11_500, false, '1.5 s but 15%'],
    [1200, 1000, false, 'faster'],
    [null, 5000, false, 'no durations before'],
    [5000, null, false, 'no durations now'],
  ])('%s → %s ms: %s (%s)', (before, now, slower) => {
    expect(isSlower(before, now)).toBe(slower)
  })
})

describe('relativeChange', () => {
  it.each([
    [1000, 1250, 0.25],
    [1000, 750, -0.25],
    [1000, 1000, 0],
    [0, 100, null],
    [null, 100, null],
    [100, null, null],
  ])('%s → %s: %s', (before, now, change) => {
    expect(relativeChange(before, now)).toBe(change)
  })
})
