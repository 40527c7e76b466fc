import { describe, expect, it } from 'vitest'
import { copyLines, copyValue } from '../../../server/db/bulk'

describe('copyValue (COPY text format)', () => {
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
    [['a', 'b"c', 'd\\e', 'f\tg'], 'text[]', '{"a","b\\\\"c","d\\\\\\\\e","f\\tg"}'],
    [[{ s: 'x\ny', n: 'z\0' }], 'jsonb', '[{"s":"x\\\\ny","n":"z"}]'],
  ])('%j as %s → %s', (value, type, text) => {
    expect(copyValue(value, type)).toBe(text)
  })
})

describe('copyLines', () => {
  it('writes one line per row, columns in order, a missing key as null', () => {
    const columns = [['a', 'text'], ['b', 'int'], ['c', 'jsonb']] as const
    expect(copyLines([{ a: 'x', b: 1, c: { k: 1 } }, { b: 2 }], columns)).toBe('x\t1\t{"k":1}\n\\N\t2\t\\N\n')
  })
})
