import { describe, expect, it } from 'vitest'
import { libtestLike, rustTestOf } from '../../../shared/rust-tests'
import { like, searchText } from './like'

describe('rustTestOf: libtest\'s suite `test`, then its classname', () => {
  it.each([
    // [suite path, title, the test, why] (test/fixtures/reports/cargo-*.xml)
    [['test', 'tests::parser'], 'unwrap_on_none', { kind: 'unit', name: 'tests::parser::unwrap_on_none' }, 'a unit test in a module'],
    [['test', 'crate'], 'adds', { kind: 'unit', name: 'adds' }, 'a unit test at the crate\'s root'],
    [['test', 'integration'], 'api::adds', { kind: 'integration', name: 'api::adds' }, 'an integration test, its whole path its name'],
    [['test', 'src/lib.rs'], 'parse_cents (line 14)', { kind: 'doc', name: 'src/lib.rs - parse_cents (line 14)' }, 'a doc-test'],
    [['test', 'tests'], 'adds two', null, 'a name with a space is no Rust function'],
    [['test', 'src/lib.rs'], 'parse_cents', null, 'a doc-test is named with its line'],
    [['unit', 'tests::parser'], 'unwrap_on_none', null, 'another suite'],
    [['test'], 'unwrap_on_none', null, 'no classname'],
  ] as [string[], string, object | null, string][])('%j %s', (suitePath, title, test) => {
    expect(rustTestOf({ suitePath, title })).toEqual(test)
  })
})

describe('libtestLike: what search finds a Rust test by', () => {
  const text = searchText

  it.each([
    ['tests::parser::unwrap_on_none', text('unwrap_on_none', ['test', 'tests::parser']), true],
    ['parser::unwrap', text('unwrap_on_none', ['test', 'tests::parser']), true],
    ['TESTS::PARSER::UNWRAP_ON_NONE', text('unwrap_on_none', ['test', 'tests::parser']), true],
    ['tests::unwrap_on_none', text('unwrap_on_none', ['test', 'tests::parser']), false],
    ['tests::parser::unwrap_on_none', text('unwrapxonxnone', ['test', 'tests::parser']), false],
    ['tests::parses', text('parses', ['test', 'tests']), true],
  ])('%s in %j: %s', (q, searched, found) => {
    expect(like(libtestLike(q)!).test(searched)).toBe(found)
  })

  it('is null for text without a module path', () => {
    expect([libtestLike('unwrap_on_none'), libtestLike('::x'), libtestLike('tests::')]).toEqual([null, null, null])
  })
})
