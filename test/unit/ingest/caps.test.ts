import { describe, expect, it } from 'vitest'
import { CAPS, MAX_OUTPUT_BYTES, capText, parseReport } from '../../../server/ingest'
import { testTitle } from '../../../server/ingest/common'
import { testIdentity } from '../../../server/ingest/merge'

const bytes = (s: string) => Buffer.byteLength(s, 'utf8')

describe('capText', () => {
  it('keeps short text as is, and turns empty or missing text into null', () => {
    expect(capText('hello', 10)).toBe('hello')
    expect(capText('x'.repeat(100), 100)).toBe('x'.repeat(100))
    expect(capText('', 10)).toBeNull()
    expect(capText(null, 10)).toBeNull()
    expect(capText(undefined, 10)).toBeNull()
  })

  it('keeps head and tail around a marker that counts the omitted bytes exactly', () => {
    const text = `${'a'.repeat(1000)}${'b'.repeat(1000)}`
    const capped = capText(text, 200)!
    expect(bytes(capped)).toBeLessThanOrEqual(200)
    const m = /^(a+)\n…\[(\d+) bytes omitted\]…\n(b+)$/.exec(capped)
    expect(m).not.toBeNull()
    expect(m![1]!.length + Number(m![2]) + m![3]!.length).toBe(2000)
    expect(m![1]!.length).toBe(m![3]!.length)
  })

  it('counts UTF-8 bytes and never splits a character', () => {
    for (const unit of ['é', '✓', '😀', 'a😀é✓']) {
      const text = unit.repeat(5000)
      const capped = capText(text, 1000)!
      expect(bytes(capped)).toBeLessThanOrEqual(1000)
      expect(bytes(capped)).toBeGreaterThan(900)
      expect(capped).not.toContain('\uFFFD')
      expect(capped).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/) // no lone surrogates
      const [head, tail] = capped.split(/\n…\[\d+ bytes omitted\]…\n/)
      expect(text.startsWith(head!)).toBe(true)
      expect(text.endsWith(tail!)).toBe(true)
      const omitted = Number(/\[(\d+) bytes/.exec(capped)![1])
      expect(bytes(head!) + omitted + bytes(tail!)).toBe(bytes(text))
    }
  })

  it('caps 3-byte text that fits in characters but not in bytes', () => {
    const text = '✓'.repeat(30_000) // 30,000 characters, 90,000 bytes
    expect(bytes(capText(text, MAX_OUTPUT_BYTES)!)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES)
  })

  it('exports the per-field caps', () => {
    expect(MAX_OUTPUT_BYTES).toBe(64 * 1024)
    expect(CAPS.output).toBe(MAX_OUTPUT_BYTES)
    expect(CAPS.message).toBeLessThanOrEqual(CAPS.stack)
  })
})

describe('testTitle: a name cut to its cap keeps a hash of the whole name for the identity', () => {
  const long = (middle: string) => `${'a'.repeat(3000)}${middle}${'z'.repeat(3000)}`

  it.each<[string, string, boolean, string]>([
    // [name, other name, same title and hash?, why]
    [long('1'), long('2'), false, 'two long names that differ only where they were cut'],
    [long('1'), long('1'), true, 'the same long name twice'],
  ])('%#: %s', (a, b, same) => {
    const [x, y] = [testTitle(a), testTitle(b)]
    expect(x.title).toBe(y.title)
    expect(x.titleHash).toMatch(/^[0-9a-f]{16}$/)
    expect(x.titleHash === y.titleHash).toBe(same)
  })

  it.each([
    ['a name under the cap', 'adds an item', 'adds an item'],
    ['a name just at the cap', 'x'.repeat(4096), 'x'.repeat(4096)],
    ['a name at the cap once its NULs are gone', `${'x'.repeat(4096)}\0\0`, 'x'.repeat(4096)],
    ['no name', undefined, ''],
  ])('%s gets no hash, so its identity stays what it was', (_why, name, title) => {
    expect(testTitle(name)).toEqual({ title })
  })

  it.each([
    ['Playwright JSON', (name: string) => JSON.stringify({ suites: [{ title: 'a.spec.ts', file: 'a.spec.ts', specs: [{ title: name, file: 'a.spec.ts', tests: [{ projectName: '', status: 'expected', results: [{ status: 'passed' }] }] }] }] })],
    ['CTRF', (name: string) => JSON.stringify({ results: { tool: { name: 'x' }, tests: [{ name, status: 'passed', duration: 1 }] } })],
    ['Proofdeck JSON', (name: string) => JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: name, status: 'passed' }] })],
    ['JUnit XML', (name: string) => `<testsuite name="s"><testcase classname="c" name="${name}"/></testsuite>`],
  ])('keeps two long names apart in %s', (_format, report) => {
    const [a, b] = [long('1'), long('2')].map(name => parseReport(report(name)).results[0]!)
    expect(a!.title).toBe(b!.title)
    expect(testIdentity(a!)).not.toBe(testIdentity(b!))
  })
})
