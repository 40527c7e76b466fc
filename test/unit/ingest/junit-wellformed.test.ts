import { XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { parseReport } from '../../../server/ingest'
import { assertWellFormed } from '../../../server/ingest/junit-wellformed'
import { corpusText, fixture, parseError, reviewed } from './helpers'

/**
 * A plain JUnit document (see plainTag in server/ingest/junit-wellformed.ts) skips fast-xml-parser's validator. That
 * shortcut must never accept what the validator refuses: real reports from the corpus, broken by seeded random edits
 * (characters deleted, markup inserted, the file cut short), each either refused or accepted by the validator too
 * (document by document, where the file holds several one after another, as cargo test writes them).
 */
const FILES = [
  'junit/publish-unit-test-result-action__with-xml-entities.xml',
  'junit/action-junit-report__surefire-report.xml',
  'junit/test-reporter__python-xunit-pytest.xml',
  'junit/action-junit-report__nested__junit.xml',
  'junit/publish-unit-test-result-action__suite-logs.xml',
  // cargo test: one document per test binary, each after its own XML declaration, then rustdoc's <report>
  'cargo-failing-all.xml',
]
const PIECES = ['<', '>', '&', '"', '\'', '/', '=', ' ', '</a>', '<a>', '&amp;', '&#;', '&x', '<!--', '-->', '<?x?>', 'x="1"', '/>', ']]>', '<![CDATA[', 'é', ':']
const EDITS_PER_FILE = 300

function mutations(text: string, seed: number): string[] {
  let state = seed
  const random = () => (state = (state * 1103515245 + 12345) & 0x7FFFFFFF) / 0x7FFFFFFF
  return Array.from({ length: EDITS_PER_FILE }, () => {
    let x = text
    for (let e = 1 + Math.floor(random() * 3); e > 0; e--) {
      const at = Math.floor(random() * x.length)
      const op = random()
      if (op < 0.3) x = x.slice(0, at) + x.slice(at + 1 + Math.floor(random() * 3))
      else if (op < 0.8) x = x.slice(0, at) + PIECES[Math.floor(random() * PIECES.length)] + x.slice(at)
      else x = x.slice(0, at)
    }
    return x
  })
}

describe('well-formedness: the plain-document shortcut', () => {
  it.each(FILES)(`accepts nothing the validator refuses: %s broken ${EDITS_PER_FILE} ways`, (file) => {
    const text = (file.startsWith('junit/') ? corpusText(file) : fixture(file)).replace(/^\uFEFF/, '')
    let accepted = 0
    for (const xml of mutations(text, file.length)) {
      try {
        assertWellFormed(xml)
      }
      catch {
        continue
      }
      accepted++
      // cargo test's reports one after another: the validator reads one document at a time
      for (const doc of xml.split(/(?<=<\/testsuites>)\s*(?=<\?xml |<report )/)) {
        expect(XMLValidator.validate(doc, { allowBooleanAttributes: false }), doc).toBe(true)
      }
    }
    // the edits leave some documents well-formed (an inserted space, "&amp;" in text): the property was exercised
    expect(accepted).toBeGreaterThan(0)
  })

  // Over a minute (the first) and 38 s (the second) when a check compared every earlier attribute, or searched the
  // rest of the document, per item; the test's timeout (30 s) is what fails then.
  it.each([
    ['a tag with 100,000 attributes', `<testsuite><testcase${Array.from({ length: 100_000 }, (_, i) => ` a${String(i).padStart(6, '0')}=""`).join('')}/></testsuite>`],
    ['60,000 DOCTYPEs inside the root', `<testsuite>${'<!DOCTYPE a [ <!ELEMENT a ANY> ]>'.repeat(60_000)}</testsuite>`],
  ])('reads %s in one pass', (_name, xml) => {
    expect(() => assertWellFormed(xml)).not.toThrow()
  })

  it.each([
    ['an attribute without a value', '<testsuite><testcase name/></testsuite>', /boolean attribute 'name' is not allowed at line 1, column 22\.$/],
    ['an unquoted value', '<testsuite><testcase name=a/></testsuite>', /attribute 'name' is without value/],
    ['attributes with no space between', '<testsuite><testcase name="a"time="1"/></testsuite>', /attribute 'time' has no space in starting/],
    ['a closing tag with attributes', '<testsuite></testsuite x="1">', /closing tag 'testsuite' can't have attributes/],
    ['a closing tag of the same length but another name', '<testsuite><testcase name="a"></testcasX></testsuite>', /expected the closing tag <\/testcase> \(opened at line 1, column 12\) but found <\/testcasX>/],
    ['a named reference longer than the validator reads', '<testsuite><testcase name="a"><failure>&abcdefghijklmnopqrstuvwxyz;</failure></testcase></testsuite>', /a raw "&"/],
  ])('leaves %s to the validator, which refuses it', (_name, xml, message) => {
    expect(() => assertWellFormed(xml)).toThrow(message)
  })

  it.each([
    ['inside an attribute', '<testsuite name="s" tests="2">\n  <testcase classname="c" name="a" time="0.1"/>\n  <testcase classname="c" name="b" time="0.'],
    ['inside a tag', '<testsuite name="s">\n  <testcase classname="c" name="a"/>\n  <testcase classname="c" na'],
  ])('says a file cut short %s is likely truncated, where it ends', (_name, xml) => {
    expect(() => assertWellFormed(xml)).toThrow(/line 3, column \d+.*truncated/)
  })

  it('does not call a bad file whose last element closes truncated', () => {
    expect(() => assertWellFormed('<testsuite name="s">\n<testcase name="a" name="b"/>\n</testsuite>')).toThrow(/^(?!.*truncated)/)
  })

  it('says where an XML declaration after a BOM and blank space is, in a sentence', () => {
    const err = parseError(() => parseReport(reviewed('utf8bom-ws.xml')))
    expect(err.message).toBe('The XML is not well-formed: the XML declaration (<?xml …?>) is allowed only at the very start of the file, and this one is at line 2, column 8.')
  })
})
