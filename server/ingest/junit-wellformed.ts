import { XMLValidator } from 'fast-xml-parser'
import { assertNotEmpty, at, lineCol } from './common'
import { MAX_DOCUMENT_DEPTH } from './limits'
import { ReportParseError } from './types'

/*
 * Well-formedness of a JUnit XML document before it is parsed (see junit.ts): the entity refusal, what
 * fast-xml-parser's validator lets through, and the validator's own messages rewritten for a person.
 */

function refuseEntities(xml: string, offset: number): never {
  const name = /^<!ENTITY\s+(%\s+)?([^\s"'>]+)/.exec(xml.slice(offset, offset + 300))?.[2]
  const p = lineCol(xml, offset)
  throw new ReportParseError(
    `This XML declares ${name ? `the entity "${name.slice(0, 60)}"` : 'an entity'} in a DOCTYPE (at ${at(p)}). Test reports never need DTD entities, and they are how XML files read server files (XXE) or exhaust memory ("billion laughs"), so the file is refused and nothing in it was resolved. Remove the DOCTYPE and upload again.`,
    { code: 'xml_entities_refused', ...p },
  )
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13
const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 58

/** Throws when xml[from, to) is not all whitespace: for text between tags outside the root element. */
function assertBlankOutsideRoot(xml: string, from: number, to: number): void {
  for (let k = from; k < to; k++) {
    if (!isSpace(xml.charCodeAt(k))) {
      const p = lineCol(xml, k)
      throw new ReportParseError(`The XML is not well-formed: there is text outside the root element at ${at(p)}.`, { code: 'malformed_xml', ...p })
    }
  }
}

/** The index of the ">" that ends the <!DOCTYPE at `lt` (past its internal subset), or -1; refuses entities declared in it. */
function doctypeEnd(xml: string, lt: number): number {
  const gt = xml.indexOf('>', lt)
  // looked for within this DOCTYPE only: searching the rest of the document per DOCTYPE made thousands of them quadratic
  const head = gt < 0 ? -1 : xml.slice(lt, gt).indexOf('[')
  const bracket = gt < 0 ? xml.indexOf('[', lt) : head < 0 ? -1 : lt + head
  let end = gt
  if (bracket >= 0) {
    const close = /\]\s*>/g
    close.lastIndex = bracket
    const m = close.exec(xml)
    end = m ? m.index + m[0].length - 1 : xml.length - 1
    const entity = xml.slice(bracket, end).indexOf('<!ENTITY')
    if (entity >= 0) refuseEntities(xml, bracket + entity) // the internal subset is where entities live
  }
  return end
}

function rawInAttribute(xml: string, offset: number): never {
  const p = lineCol(xml, offset)
  if (xml[offset] === '<') {
    throw new ReportParseError(`The XML is not well-formed: an attribute value contains a raw "<" at ${at(p)} (XML requires &lt;; a template placeholder such as "<<computed>>" left in the file?).`, { code: 'malformed_xml', ...p })
  }
  throw new ReportParseError(`The XML is not well-formed: an attribute value contains a raw "&" at ${at(p)} (XML requires &amp;).`, { code: 'malformed_xml', ...p })
}

/**
 * The root of a report after the first (cargo test writes one document per test binary, one after another): a JUnit
 * root, or rustdoc's <report> of its timings; anything else is refused where it starts.
 */
function assertLaterRoot(xml: string, lt: number): void {
  const name = /^<([^\s/>]+)/.exec(xml.slice(lt, lt + 200))?.[1] ?? '?'
  if (name === 'testsuites' || name === 'testsuite' || name === 'report') return
  const p = lineCol(xml, lt)
  throw new ReportParseError(
    `This XML is not a JUnit report: a second root element <${name}> starts at ${at(p)}; a file may hold several JUnit reports one after another (cargo test writes one per test binary), each a <testsuites> or <testsuite>.`,
    { code: 'not_junit', ...p },
  )
}

/** Refuses a document nested deeper than MAX_DOCUMENT_DEPTH elements, before any recursive code walks it. */
function tooDeep(xml: string, lt: number): never {
  const p = lineCol(xml, lt)
  throw new ReportParseError(`This XML nests elements more than ${MAX_DOCUMENT_DEPTH} levels deep (at ${at(p)}); reports are read to at most ${MAX_DOCUMENT_DEPTH} levels (real ones stay under 20), so it was refused.`, { code: 'too_deep', ...p })
}

const REFERENCE = /&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z_:][\w.:-]*);/y
/** The references fast-xml-parser's validator accepts in text too (a named one is at most 20 word characters). */
const PLAIN_REFERENCE = /&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z_]\w{0,18});/y

/** Attributes a plain tag may carry (a JUnit testcase has 3-6). */
const PLAIN_ATTRIBUTES = 32

/**
 * Whether every "&" in the text xml[from, to) starts a reference the validator accepts there. Read within the range:
 * `indexOf` looked past it to the end of a document without any "&", once per item (a flat 300,000-testcase report
 * did not finish in 60 s).
 */
function plainText(xml: string, from: number, to: number): boolean {
  for (let a = from; a < to; a++) {
    if (xml.charCodeAt(a) !== 38 /* & */) continue
    PLAIN_REFERENCE.lastIndex = a
    if (!PLAIN_REFERENCE.test(xml)) return false
  }
  return true
}

/** Whether an attribute value xml[from, to) holds no "<" and every "&" in it starts a reference. */
function plainValue(xml: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = xml.charCodeAt(k)
    if (c === 60 /* < */) return false
    if (c === 38 /* & */) {
      REFERENCE.lastIndex = k
      if (!REFERENCE.test(xml)) return false
    }
  }
  return true
}

/** Whether xml[a, a + length) and xml[b, b + length) hold the same characters. */
function sameText(xml: string, a: number, b: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (xml.charCodeAt(a + k) !== xml.charCodeAt(b + k)) return false
  return true
}

/**
 * The ">" of a tag at `lt` in the plain form JUnit writers emit, else -1. A start tag: an ASCII name, then
 * `name="value"` (or single-quoted) attributes each after whitespace, none repeated, values without "<" and with
 * references only; `opened` receives its name (start, end). An end tag: `</name>` closing the innermost open element.
 * Anything else (other names, spaces around "=", a boolean attribute, a mismatched end tag) is left to the validator.
 */
function plainTag(xml: string, lt: number, opened: number[], seen: number[]): number {
  const closing = xml.charCodeAt(lt + 1) === 47 /* / */
  const start = closing ? lt + 2 : lt + 1
  let i = start
  if (!isNameStart(xml.charCodeAt(i))) return -1
  while (isNameChar(xml.charCodeAt(++i)));
  if (closing) {
    const length = i - start
    const at = opened.length - 2
    if (at < 0 || opened[at + 1]! - opened[at]! !== length || !sameText(xml, start, opened[at]!, length)) return -1
    while (isSpace(xml.charCodeAt(i))) i++
    if (xml.charCodeAt(i) !== 62 /* > */) return -1
    opened.length = at
    return i
  }
  const nameEnd = i
  seen.length = 0
  for (;;) {
    let c = xml.charCodeAt(i)
    const spaced = isSpace(c)
    while (isSpace(c)) c = xml.charCodeAt(++i)
    if (c === 62 /* > */) {
      opened.push(start, nameEnd)
      return i
    }
    if (c === 47 /* / */) return xml.charCodeAt(i + 1) === 62 ? i + 1 : -1
    if (!spaced || !isNameStart(c)) return -1
    // more attributes than a report's tags carry go to the validator, whose check for repeats is linear, unlike this one
    if (seen.length >= 2 * PLAIN_ATTRIBUTES) return -1
    const from = i
    while (isNameChar(xml.charCodeAt(++i)));
    for (let k = 0; k < seen.length; k += 2) {
      if (seen[k + 1]! - seen[k]! === i - from && sameText(xml, from, seen[k]!, i - from)) return -1
    }
    seen.push(from, i)
    const quote = xml.charCodeAt(i + 1)
    if (xml.charCodeAt(i) !== 61 /* = */ || (quote !== 34 && quote !== 39)) return -1
    const close = xml.indexOf(quote === 34 ? '"' : '\'', i + 2)
    if (close < 0) return -1
    if (!plainValue(xml, i + 2, close)) return -1
    i = close + 1
  }
}

/** The ">" that ends the start or end tag at `lt`, outside quotes (or the document's length); refuses a raw "<" or "&" in a value. */
function tagEnd(xml: string, lt: number): number {
  let quote = 0
  let j = lt + 1
  for (; j < xml.length; j++) {
    const c = xml.charCodeAt(j)
    if (quote) {
      if (c === quote) quote = 0
      else if (c === 60 /* < */) rawInAttribute(xml, j)
      else if (c === 38 /* & */) {
        REFERENCE.lastIndex = j
        if (!REFERENCE.test(xml)) rawInAttribute(xml, j)
      }
    }
    else if (c === 34 || c === 39) quote = c
    else if (c === 62 /* > */) break
  }
  return j
}

/**
 * The index of the ">" that ends the comment, CDATA section or declaration at `lt`, or -1 when it never ends; refuses
 * an entity declaration, and CDATA outside the root.
 */
function bangEnd(xml: string, lt: number, depth: number): number {
  const past = (close: string, from: number) => {
    const end = xml.indexOf(close, from)
    return end < 0 ? end : end + close.length - 1
  }
  if (xml.startsWith('<!--', lt)) return past('-->', lt + 4)
  if (xml.startsWith('<![CDATA[', lt)) {
    if (depth === 0) assertBlankOutsideRoot(xml, lt, lt + 1)
    return past(']]>', lt + 9)
  }
  if (xml.startsWith('<!ENTITY', lt)) refuseEntities(xml, lt)
  if (xml.startsWith('<!DOCTYPE', lt)) return doctypeEnd(xml, lt)
  return xml.indexOf('>', lt + 2) // <!ELEMENT …>, <!ATTLIST …> (outside a DOCTYPE: the validator complains)
}

/**
 * One linear pass over the markup (text, comments and CDATA skipped) for what the validator lets through:
 * entity declarations (refused, see above) and a raw "<" or "&" inside an attribute value, which XML forbids
 * (a template's time="<<computed>>" is the classic case). Finds where each document starts: a file may hold several,
 * one after another (cargo test writes one per test binary), each its own root, optionally after its own XML
 * declaration. `plain` says whether the file was plain all through (see plainTag; each document's XML declaration
 * first, comments and CDATA, text whose "&"s are references, every element closed): such a file is well-formed as
 * the validator reads it, and the validator, a third of the parse of a JUnit report, need not read it again.
 */
function scanMarkup(xml: string): { plain: boolean, starts: number[] } {
  const n = xml.length
  let i = 0
  let depth = 0 // element nesting, to find text and extra elements outside the root
  let roots = 0
  let plain = true
  const opened: number[] = []
  const seen: number[] = []
  const starts = [0]
  // an XML declaration after a document's root closed: the next document starts there
  let declared = -1
  const notPlain = () => ({ plain: false, starts })
  while (i < n) {
    const lt = xml.indexOf('<', i)
    if (lt < 0) {
      if (depth === 0) assertBlankOutsideRoot(xml, i, n)
      break
    }
    if (depth === 0) assertBlankOutsideRoot(xml, i, lt)
    else if (plain && !plainText(xml, i, lt)) plain = false
    const next = xml.charCodeAt(lt + 1)
    if (next === 33 /* ! */) {
      if (!xml.startsWith('<!--', lt) && !xml.startsWith('<![CDATA[', lt)) plain = false
      const end = bangEnd(xml, lt, depth)
      if (end < 0) return notPlain()
      i = end + 1
      continue
    }
    if (next === 63 /* ? */) {
      const end = xml.indexOf('?>', lt + 2)
      if (end < 0) return notPlain()
      const declaration = /^<\?xml[\s?]/.test(xml.slice(lt, lt + 6))
      if (declaration && depth === 0 && roots > 0 && declared < 0) declared = lt
      else if (lt !== 0 || !declaration) plain = false
      i = end + 2
      continue
    }
    let j = plain ? plainTag(xml, lt, opened, seen) : -1
    if (j < 0) {
      plain = false
      j = tagEnd(xml, lt)
    }
    if (next === 47 /* / */) depth--
    else {
      if (depth === 0 && ++roots > 1) {
        assertLaterRoot(xml, lt)
        starts.push(declared < 0 ? lt : declared)
        declared = -1
      }
      if (xml.charCodeAt(j - 1) !== 47 /* not self-closing */ && ++depth > MAX_DOCUMENT_DEPTH) tooDeep(xml, lt)
    }
    i = j + 1
  }
  // a declaration after the last root starts no document: the validator says where it stands
  return { plain: plain && roots > 0 && declared < 0 && opened.length === 0, starts }
}

/**
 * Throws a ReportParseError (with line/column where known) unless `xml` is a non-empty, well-formed document without
 * DTD entities, or several such documents one after another (each its own root, optionally its own XML declaration).
 */
export function assertWellFormed(xml: string): void {
  assertNotEmpty(xml)
  const { plain, starts } = scanMarkup(xml)
  if (plain) return
  for (let d = 0; d < starts.length; d++) validateDocument(xml, starts[d]!, starts[d + 1] ?? xml.length)
}

/** The validator's verdict on the document xml[from, to), its positions read in the whole file. */
function validateDocument(xml: string, from: number, to: number): void {
  const doc = from === 0 && to === xml.length ? xml : xml.slice(from, to)
  const v = XMLValidator.validate(doc, { allowBooleanAttributes: false })
  if (v === true) return
  // a position in the document as one in the file: its first line starts where the document does
  const base = lineCol(xml, from)
  const inFile = (line: number, column: number) =>
    line === 1 ? { line: base.line, column: base.column + column - 1 } : { line: base.line + line - 1, column }
  const msg = v.err.msg.replace(/\.$/, '')
  const open = [...msg.matchAll(/"([^"]+)"/g)].map(m => m[1]!)
  const unclosedOne = /^Unclosed tag '([^']+)'/.exec(msg)?.[1]
  if ((v.err.code === 'InvalidXml' && open.length && /^Invalid '\[/.test(msg)) || unclosedOne) {
    // The validator reports "Invalid '[…]' found" at 1:1 for a document that ends with elements still open.
    const names = open.length ? open : [unclosedOne!]
    const p = lineCol(xml, Math.max(0, from + doc.trimEnd().length - 1))
    const chain = names.length > 1 ? ` (the document ends while ${names.map(t => `<${t}>`).join(' › ')} are still open: is the file truncated?)` : ' (is the file truncated?)'
    throw new ReportParseError(`The XML is not well-formed: unclosed tag <${names[names.length - 1]}> at ${at(p)}${chain}.`, { code: 'malformed_xml', ...p })
  }
  const p = v.err.line != null ? inFile(v.err.line, v.err.col ?? 1) : null
  const line = p?.line ?? null
  const column = v.err.col != null ? p!.column : null
  const where = line != null ? ` at line ${line}${column != null ? `, column ${column}` : ''}` : ''
  let reason = msg
    .replace(/^Expected closing tag '([^']+)' \(opened in line (\d+), col (\d+)\) instead of closing tag '([^']+)'$/, (_m, tag: string, l: string, c: string, found: string) => {
      const opened = inFile(Number(l), Number(c))
      return `expected the closing tag </${tag}> (opened at line ${opened.line}, column ${opened.column}) but found </${found}>`
    })
    .replace(/^Extra text at the end$/, 'there is text outside the root element')
    .replace(/^char '&' is not expected$/, 'a raw "&" (XML requires &amp;)')
    .replace(/^Start tag expected$/, 'no element found')
    .replace(/^XML declaration allowed only at the start of the document$/, 'the XML declaration (<?xml …?>) is allowed only at the very start of the file, and this one is')
  // the validator's sentences start with a capital ("Attribute … is repeated"); an acronym ("XML …") keeps its capitals
  if (!/^[A-Z]{2}/.test(reason)) reason = reason.charAt(0).toLowerCase() + reason.slice(1)
  // an error on the document's last line, with no closing tag after it, is where a killed writer stopped
  const lastLine = lineCol(xml, Math.max(0, xml.trimEnd().length - 1)).line
  const cut = line === lastLine && !/<\/[^>]*>\s*$/.test(xml) ? ' (the file ends there: is it truncated, a test run killed while writing it?)' : ''
  throw new ReportParseError(`The XML is not well-formed: ${reason}${where}${cut}.`, { code: 'malformed_xml', line, column })
}
