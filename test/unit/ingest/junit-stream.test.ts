import { describe, expect, it } from 'vitest'
import { parseJunit, streamJunit } from '../../../server/ingest/junit'
import type { ParsedResult } from '../../../server/ingest/types'
import { parseError } from './helpers'

/** Streams `xml`, returning the results in the order they were handed over. */
function streamed(xml: string): ParsedResult[] {
  const out: ParsedResult[] = []
  const report = streamJunit(xml, r => out.push(r))
  expect(report.results).toEqual([])
  return out
}

const wrap = (inner: string) => `<testsuites><testsuite name="S">${inner}</testsuite></testsuites>`

describe('the streaming JUnit reader on tricky inputs', () => {
  it.each([
    ['entities in attributes and text', wrap('<testcase name="a &amp; &lt;b&gt; &#233;&#x41;"><failure message="&quot;q&quot;">x &amp;&amp; y</failure></testcase>'),
      { title: 'a & <b> éA', errorMessage: '"q"', errorStack: 'x && y' }],
    ['an undeclared entity is left as written', wrap('<testcase name="a&nbsp;b"/>'), { title: 'a&nbsp;b' }],
    ['CDATA verbatim between text and comments', wrap('<testcase name="t"><failure message="m">a <![CDATA[<b> &amp; ]]]]><!-- c --><![CDATA[>]]> z</failure></testcase>'),
      { errorStack: 'a <b> &amp; ]]> z' }],
    ['CDATA holding markup is text, not elements', wrap('<testcase name="t"><system-out><![CDATA[<testcase name="fake"/>]]></system-out></testcase>'),
      { title: 't', stdout: '<testcase name="fake"/>' }],
    ['CRLF and lone CR read as LF, a &#13; reference kept', wrap('<testcase name="t"><failure message="m">one\r\ntwo\rthree&#13;four</failure></testcase>'),
      { errorStack: 'one\ntwo\nthree\rfour' }],
    ['a BOM before the declaration', `\uFEFF<?xml version="1.0"?>${wrap('<testcase name="t"/>')}`, { title: 't', suitePath: ['S'] }],
    ['a DOCTYPE without entities', `<!DOCTYPE testsuites SYSTEM "junit.dtd">${wrap('<testcase name="t"/>')}`, { title: 't' }],
    ['a multi-line start tag with single quotes and ">" in a value', wrap(`<testcase\n  name='a > b'\n  classname="C"\n  time="2"/>`),
      { title: 'a > b', suitePath: ['S', 'C'], durationMs: 2000 }],
    ['a <stackTrace> child is the stack, the message its first line', wrap('<testcase name="t"><failure><stackTrace>\n  E: boom\n  at x</stackTrace></failure></testcase>'),
      { errorMessage: 'E: boom', errorStack: '  E: boom\n  at x' }],
    ['unknown elements inside a testcase are ignored, testcases in them too', wrap('<testcase name="t"><extra><testcase name="hidden"/></extra></testcase>'),
      { title: 't' }],
  ])('%s', (_name, xml, expected) => {
    const results = streamed(xml)
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject(expected)
  })

  it('hands results over in document order, a nested testcase after its parent, and agrees with parseJunit', () => {
    const xml = `<testsuites>
      <testsuite name="A"><properties><property name="p" value="1"/></properties>
        <testcase name="a1"><testcase name="a1 child"/></testcase>
        <testsuite name="B"><testcase name="b1"/></testsuite>
        <group><failure><testcase name="under a failure in a wrapper"/></failure></group>
        <testcase name="a2"/>
      </testsuite>
      <testcase name="root level"/>
    </testsuites>`
    const results = streamed(xml)
    expect(results.map(r => [r.title, r.suitePath])).toEqual([
      ['a1', ['A']], ['a1 child', ['A', 'a1']], ['b1', ['A', 'B']], ['under a failure in a wrapper', ['A']], ['a2', ['A']], ['root level', []],
    ])
    expect(results.map(r => r.properties)).toEqual([{ p: '1' }, { p: '1' }, { p: '1' }, { p: '1' }, { p: '1' }, {}])
    expect(parseJunit(xml).results).toEqual(results)
  })

  it('shares one suite path and one properties object between the cases of a suite', () => {
    const results = streamed(wrap('<properties><property name="k" value="v"/></properties><testcase classname="C" name="a"/><testcase classname="C" name="b"/>'))
    expect(results[0]!.suitePath).toBe(results[1]!.suitePath)
    expect(results[0]!.properties).toBe(results[1]!.properties)
  })

  it.each([
    ['truncated inside a testcase', '<testsuites><testsuite name="S"><testcase name="a"><failure>bo', 'malformed_xml', /unclosed tag <failure> .*truncated/],
    ['truncated inside a CDATA section', '<testsuites><testsuite name="S"><testcase name="a"><system-out><![CDATA[half', 'malformed_xml', /not well-formed/],
    ['elements nested past the document cap', `<testsuite>${'<w>'.repeat(300)}${'</w>'.repeat(300)}</testsuite>`, 'too_deep', /more than 256 levels deep/],
    ['suites nested past the suite cap', `${'<testsuite name="s">'.repeat(70)}${'</testsuite>'.repeat(70)}`, 'too_deep', /nests suites 65 levels deep/],
    ['an entity declaration', '<!DOCTYPE t [<!ENTITY x "y">]><testsuite><testcase name="&x;"/></testsuite>', 'xml_entities_refused', /declares the entity "x"/],
    ['another vocabulary', '<html><body/></html>', 'not_junit', /root element is <html>/],
  ])('refuses %s with a sentence', (_name, xml, code, message) => {
    const handed: ParsedResult[] = []
    const err = parseError(() => streamJunit(xml, r => handed.push(r)))
    expect(err.code).toBe(code)
    expect(err.message).toMatch(message)
    expect(handed).toEqual([])
  })
})
