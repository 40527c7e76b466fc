import { describe, expect, it } from 'vitest'
import { copyEncoder, copyText } from '../../../server/db/bulk'

describe('copyEncoder (COPY text format)', () => {
  it.each([
    [null, 'text', '\\N'],
    [undefined, 'text', '\\N'],
    ['plain', 'text', 'plain'],
    ['tab\there', 'text', 'tab\\there'],
    ['two\nlines\r\n', 'text', 'two\\nlines\\r\\n'],
    ['back\\slash \\N', 'text', 'back\\\\slash \\\\N'],
    ['nul\0inside', 'text', 'nulinside'],
    ['lone \uD800 surrogate', 'text', 'lone \uFFFD surrogate'],
    ['ünïcödé 😀 漢字', 'text', 'ünïcödé 😀 漢字'],
    [true, 'boolean', 'true'],
    [42, 'int', '42'],
    [null, 'uuid', '\\N'],
    ['0190d7b2-6a1c-7cc4-9f3e-2b1d4c5e6f70', 'uuid', '0190d7b2-6a1c-7cc4-9f3e-2b1d4c5e6f70'],
    [new Date('2026-12-07T10:00:00Z'), 'timestamptz', '2026-12-07T10:00:00.000Z'],
    ['failed', 'test_status', 'failed'],
    [null, 'jsonb', '\\N'],
    [null, 'text[]', '\\N'],
    [['a', 'b"c', 'd\\e', 'f\tg'], 'text[]', '{"a","b\\\\"c","d\\\\\\\\e","f\\tg"}'],
    [[{ s: 'x\ny', n: 'z\0' }], 'jsonb', '[{"s":"x\\\\ny","n":"z"}]'],
  ])('%j as %s → %s', (value, type, text) => {
    expect(copyEncoder(type)(value)).toBe(text)
  })
})

describe('copyText', () => {
  const columns = [['a', 'text'], ['b', 'int'], ['c', 'jsonb']] as const

  it('writes one line per row, values in the columns\' order, undefined and null as null', () => {
    expect(copyText(columns)([['x', 1, { k: 1 }], [undefined, 2, null]])).toBe('x\t1\t{"k":1}\n\\N\t2\t\\N\n')
  })

  it('refuses a row whose values do not match the columns', () => {
    expect(() => copyText(columns)([['x', 1]])).toThrow('a row of 2 values for 3 columns')
  })
})
