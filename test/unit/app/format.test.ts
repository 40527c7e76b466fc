import { describe, expect, it } from 'vitest'
import { fileAndLine, formatPercent, groupCategory, locationsApart, runLine } from '../../../utils/format'

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

describe('locationsApart', () => {
  const listed = [
    '/home/runner/work/shop/shop/packages/admin/tests/cart.spec.ts:14',
    '/home/runner/work/shop/shop/packages/storefront/tests/cart.spec.ts:14',
    '/builds/shop/tests/checkout.spec.ts:9',
    'C:\\a\\shop\\tests\\login.spec.ts:3',
    null,
  ]
  it.each([
    ['two packages\' files of one name keep the folders that tell them apart', listed[0], 'admin/tests/cart.spec.ts:14'],
    ['the other one', listed[1], 'storefront/tests/cart.spec.ts:14'],
    ['a file no other shares reads as fileAndLine does', listed[2], 'checkout.spec.ts:9'],
    ['Windows paths too', listed[3], 'login.spec.ts:3'],
  ])('%s', (_name, location, shown) => {
    expect(locationsApart(listed)(location!)).toBe(shown)
  })

  it('is fileAndLine when the location is alone or listed twice', () => {
    expect(locationsApart([listed[0], listed[0]])(listed[0]!)).toBe(fileAndLine(listed[0]!))
  })
})

describe('runLine', () => {
  it.each([
    [{ job: 'unit', environment: 'node-18' }, 'unit (node-18)'],
    [{ job: 'unit', environment: null }, 'unit'],
    [{ job: null, environment: 'node-18' }, 'node-18'],
    [{}, ''],
  ])('%o → %s', (run, label) => {
    expect(runLine(run)).toBe(label)
  })
})

describe('groupCategory', () => {
  it.each([
    [{ category: 'flaky', failures: 1, flaky: 0 }, 'flaky elsewhere'],
    [{ category: 'flaky', failures: 1, flaky: 2 }, 'flaky'],
    [{ category: 'flaky', failures: 0, flaky: 2 }, 'flaky'],
    [{ category: 'assertion', failures: 3, flaky: 0 }, 'assertion'],
    [{ category: null, failures: 3, flaky: 0 }, null],
  ] as const)('%o → %s', (group, label) => {
    expect(groupCategory(group)).toBe(label)
  })
})
