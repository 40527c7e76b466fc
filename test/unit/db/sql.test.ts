import { describe, expect, it } from 'vitest'
import { iso, isoOrNull, rowsJson, plainArray } from '../../../server/db/sql'

describe('rowsJson', () => {
  it.each([
    [{ a: 'plain', n: 1, z: null }, '[{"a":"plain","n":1,"z":null}]'],
    [{ a: 'nul\0inside' }, '[{"a":"nulinside"}]'],
    [{ a: 'lone \uD800 surrogate' }, '[{"a":"lone \uFFFD surrogate"}]'],
    [{ a: 'a pair 😀 stays' }, '[{"a":"a pair 😀 stays"}]'],
    [{ a: 'an escaped \\u0000 stays text' }, '[{"a":"an escaped \\\\u0000 stays text"}]'],
    [{ nested: { deep: ['x\0'] } }, '[{"nested":{"deep":["x"]}}]'],
  ])('%j → %s', (row, json) => {
    expect(rowsJson([row])).toBe(json)
  })
})

describe('plainArray', () => {
  it('is one Postgres array literal', () => {
    expect(plainArray(['a', 'b'])).toBe('{a,b}')
    expect(plainArray([])).toBe('{}')
  })
})

describe('iso', () => {
  it.each([
    [new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), '2026-01-02T03:04:05.000Z'],
    ['2026-01-02 03:04:05.123+00', '2026-01-02T03:04:05.123Z'], // postgres.js text form of a raw-SQL timestamptz
    ['2026-01-02T05:04:05+02:00', '2026-01-02T03:04:05.000Z'],
  ])('%j → %s', (value, expected) => {
    expect(iso(value)).toBe(expected)
    expect(isoOrNull(value)).toBe(expected)
  })

  it('keeps a missing timestamp missing', () => {
    expect(isoOrNull(null)).toBeNull()
    expect(isoOrNull(undefined)).toBeNull()
  })
})
