import { describe, expect, it } from 'vitest'
import { decodeReport, detectFormat, parseReport, streamReport, withNotes } from '../../../server/ingest'
import { corpusText, expected, parseError, reviewed } from './helpers'

describe('detectFormat on every corpus file', () => {
  it.each(expected.filter(e => e.bytes !== 0).map(e => [e.file, e.format] as const))('%s → %s', (file, format) => {
    expect(detectFormat(corpusText(file))).toBe(format)
  })

  it('cannot tell the format of the empty file', () => {
    expect(parseError(() => detectFormat(corpusText('junit/publish-unit-test-result-action__empty.xml'))).message).toBe('The file is empty (0 bytes).')
  })
})

describe('detectFormat on content', () => {
  it.each([
    ['XML with a declaration', '<?xml version="1.0"?><testsuites/>', 'junit'],
    ['XML after a BOM and blank lines', '\uFEFF\n\n  <testsuite/>', 'junit'],
    ['any XML (the JUnit parser names the wrong root)', '<html/>', 'junit'],
    ['CTRF', '{"results": {"tool": {"name": "x"}, "tests": []}}', 'ctrf'],
    ['CTRF by reportFormat', '{"reportFormat": "CTRF", "tests": []}', 'ctrf'],
    ['Playwright by suites', '{"suites": []}', 'playwright'],
    ['Playwright by config', '{"config": {}, "errors": []}', 'playwright'],
    ['Proofdeck', '{"format": "proofdeck", "version": 1, "results": []}', 'proofdeck'],
    ['Proofdeck wins over a results key', '{"format": "proofdeck", "version": 1, "results": {"tests": []}}', 'proofdeck'],
  ])('%s', (_name, text, format) => {
    expect(detectFormat(text)).toBe(format)
  })

  it.each([
    ['empty', '', /^The file is empty \(0 bytes\)\.$/],
    ['whitespace', ' \n ', /^The file contains only whitespace/],
    ['plain text', 'PASS src/a.test.ts', /^This file is neither XML nor JSON \(it starts with "PASS src\/a\.test\.ts"\)/],
    ['JSON of unknown shape', '{"foo": 1, "bar": []}', /^This JSON is not a report format Proofdeck knows \(its top-level keys are "foo", "bar"\)/],
    ['a JSON array', '[{"suites": []}]', /^This JSON is not a report format Proofdeck knows \(it is an array\)/],
    ['truncated Playwright JSON', '{"config": {"version": "1.57.0"},\n "suites": [{"title": "a', /^This Playwright report is not valid JSON: it ends in the middle of the document at line 2, column 24 \(is the file truncated\?\)\.$/],
    ['truncated JSON of no known shape', '{"a": [1, 2', /^This file is not valid JSON: it ends in the middle/],
    ['text after the JSON', '{"suites": []}\nDone in 3s', /^This Playwright report is not valid JSON: there is text after the end of the JSON document, at line 2, column 1\.$/],
  ])('refuses %s', (_name, text, message) => {
    expect(parseError(() => detectFormat(text)).message).toMatch(message)
  })
})

describe('parseReport with an explicit format', () => {
  it('refuses a format that contradicts the content', () => {
    expect(parseError(() => parseReport('<testsuite/>', 'playwright')).message).toBe('The file was sent as Playwright JSON, but it is XML. Send it without a format to have it detected, or with the right one.')
    expect(parseError(() => parseReport('{"suites": []}', 'junit')).code).toBe('format_mismatch')
  })

  it('uses the given JSON format even when the shape says otherwise, so the message is about that format', () => {
    expect(parseError(() => parseReport('{"suites": []}', 'ctrf')).message).toMatch(/^This JSON is not a CTRF report/)
  })
})

describe('a WebdriverIO JSON report is refused, never read as an empty Playwright run', () => {
  const wdio = reviewed('wdio-json.json')
  const message = 'This JSON is a WebdriverIO JSON report (top-level "capabilities" and "suites" of tests), which Proofdeck does not read: '
    + 'upload the JUnit XML of WebdriverIO\'s JUnit reporter (@wdio/junit-reporter) instead. Proofdeck reads JUnit XML, Playwright JSON, CTRF JSON and Proofdeck JSON.'

  it.each([
    ['detected, read whole', () => parseReport(wdio)],
    ['detected, streamed', () => streamReport(wdio, undefined, () => {})],
    ['sent as Playwright, read whole', () => parseReport(wdio, 'playwright')],
    ['sent as Playwright, streamed', () => streamReport(wdio, 'playwright', () => {})],
  ])('%s', (_how, parse) => {
    const err = parseError(parse)
    expect([err.message, err.code]).toEqual([message, 'unknown_format'])
  })
})

describe('decodeReport: the bytes of a report as text', () => {
  const file = 'junit/action-junit-report__basic.xml'
  const text = corpusText(file)
  const utf16be = (s: string) => {
    const le = Buffer.from(s, 'utf16le')
    for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!]
    return le
  }
  it.each([
    ['UTF-8', Buffer.from(text, 'utf8')],
    ['UTF-8 with a byte-order mark', Buffer.concat([Buffer.from([0xEF, 0xBB, 0xBF]), Buffer.from(text, 'utf8')])],
    ['UTF-16LE with a byte-order mark (PowerShell 5.1)', Buffer.concat([Buffer.from([0xFF, 0xFE]), Buffer.from(text, 'utf16le')])],
    ['UTF-16LE without one', Buffer.from(text, 'utf16le')],
    ['UTF-16BE with a byte-order mark', Buffer.concat([Buffer.from([0xFE, 0xFF]), utf16be(text)])],
    ['UTF-16BE without one', utf16be(text)],
  ])('%s parses as the file does', (_name, bytes) => {
    expect(parseReport(decodeReport(bytes))).toEqual(parseReport(text))
  })

  it('decodes JSON in UTF-16 too, and leaves UTF-8 text with a non-ASCII start as it is', () => {
    const json = '{"format": "proofdeck", "version": 1, "results": []}'
    expect(detectFormat(decodeReport(Buffer.from(json, 'utf16le')))).toBe('proofdeck')
    expect(decodeReport(Buffer.from('é<testsuite/>', 'utf8'))).toBe('é<testsuite/>')
  })

  it.each([
    ['valid UTF-8 (a real \uFFFD kept, not counted)', Buffer.from('<t name="caf\u00E9 \uFFFD"/>', 'utf8'), '<t name="caf\u00E9 \uFFFD"/>', []],
    ['bytes that are not UTF-8', Buffer.concat([Buffer.from('<t name="bad '), Buffer.from([0xFF, 0xFE]), Buffer.from(' utf \uFFFD '), Buffer.from([0xC3]), Buffer.from('"/>')]),
      '<t name="bad \uFFFD\uFFFD utf \uFFFD \uFFFD"/>',
      [{ item: 'its bytes', reason: '3 byte sequences that are not UTF-8 were read as \uFFFD (save the report as UTF-8, or declare its encoding)' }]],
    ['an XML declaration of ISO-8859-1', Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><t name="caf\u00E9"/>', 'latin1'),
      '<?xml version="1.0" encoding="ISO-8859-1"?><t name="caf\u00E9"/>', []],
    // a Windows writer's punctuation and euro sign (0x80–0x9F), which Node's own decoder reads as control characters
    ['an XML declaration of Windows-1252', Buffer.concat([Buffer.from('<?xml version="1.0" encoding="Windows-1252"?><t name="doesn'),
      Buffer.from([0x92]), Buffer.from('t '), Buffer.from([0x93]), Buffer.from('break'), Buffer.from([0x94, 0x20, 0x96, 0x20, 0x80]), Buffer.from('5 caf'),
      Buffer.from([0xE9, 0x81]), Buffer.from('"/>')]),
    '<?xml version="1.0" encoding="Windows-1252"?><t name="doesn\u2019t \u201Cbreak\u201D \u2013 \u20AC5 caf\u00E9\u0081"/>', []],
  ])('reads %s, noting what it could not', (_name, bytes, expected, notes) => {
    expect(withNotes(() => decodeReport(bytes))).toEqual({ value: expected, notes })
  })
})
