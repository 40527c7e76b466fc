import { describe, expect, it } from 'vitest'
import { formatPercent } from '../../../utils/format'

describe('formatPercent', () => {
  it.each([
    [null, 0, '—'],
    [1, 0, '100%'],
    [0, 0, '0%'],
    [0.983, 1, '98.3%'],
    [0.5, 0, '50%'],
    // a day whose runs did not all pass never reads 100%, one with a pass never 0%
    [0.9967, 0, '99.7%'],
    [299 / 300, 0, '99.7%'],
    [0.99996, 0, '99.99%'],
    [0.9999999, 0, '99.99%'],
    [0.002, 0, '0.2%'],
    [0.0000001, 0, '0.01%'],
    [0.9996, 1, '99.96%'],
  ])('%s with %i digits is %s', (share, digits, expected) => {
    expect(formatPercent(share, digits)).toBe(expected)
  })
})
