import { describe, expect, it } from 'vitest'
import { rowsJson, uuidArray } from '../../../server/db/sql'

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

describe('uuidArray', () => {
  it('is one Postgres array literal', () => {
    expect(uuidArray(['a', 'b'])).toBe('{a,b}')
    expect(uuidArray([])).toBe('{}')
  })
})
