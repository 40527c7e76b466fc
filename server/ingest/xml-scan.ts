/*
 * A streaming scanner over a well-formed XML document (junit-wellformed.ts checks that first): it reports start
 * tags, end tags and text in document order and never builds a tree, so reading a report holds the text and the
 * element path, not a copy of the document. Comments, processing instructions and the DOCTYPE are skipped;
 * entities are never expanded beyond the five predefined ones and character references (see decodeEntities).
 */

export type Attrs = Record<string, string>

export interface XmlHandler {
  /** A start tag; `attrs` parses its attributes (entity-decoded) when the handler wants them. */
  open: (name: string, attrs: () => Attrs) => void
  close: () => void
  /** Whether text of the current element is wanted; text nobody reads is neither sliced nor decoded. */
  wantsText: () => boolean
  /** Character data of the current element: decoded text, or a CDATA section verbatim. */
  text: (s: string) => void
  /** A reference to an entity XML does not define (`&nbsp;`) in text or an attribute read: it is kept as written. */
  undefinedEntity?: (name: string) => void
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' }
const ENTITY = /&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|([A-Za-z_][\w.-]{0,63}));/g

const xmlChar = (cp: number) => cp === 0x9 || cp === 0xA || cp === 0xD
  || (cp >= 0x20 && cp <= 0xD7FF)
  || (cp >= 0xE000 && cp <= 0xFFFD)
  || (cp >= 0x10000 && cp <= 0x10FFFF)

/**
 * Decodes the five predefined entities and numeric character references; anything else is left as written, and a
 * named entity XML does not define (HTML's `&nbsp;`) is told to `undefinedEntity`.
 */
function decodeEntities(s: string, undefinedEntity?: (name: string) => void): string {
  if (!s.includes('&')) return s
  return s.replace(ENTITY, (m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (name) {
      if (Object.hasOwn(NAMED, name)) return NAMED[name]!
      undefinedEntity?.(name)
      return m
    }
    const cp = hex ? Number.parseInt(hex, 16) : Number(dec)
    return xmlChar(cp) ? String.fromCodePoint(cp) : m
  })
}

/** XML end-of-line handling: "\r\n" and a lone "\r" are read as "\n" (before references are decoded, so &#13; stays). */
const eol = (s: string): string => s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13

/** An attribute's value as read: end-of-line handled, then references decoded (each step only when it has work). */
const attributeValue = (raw: string, undefinedEntity?: (name: string) => void): string =>
  raw.includes('&') || raw.includes('\r') ? decodeEntities(eol(raw), undefinedEntity) : raw

/**
 * The attributes in xml[from, to), entity-decoded; a repeated name keeps its first value (the validator refuses
 * repeats). Read by hand in the form every writer emits (`name="value"`, single quotes, whitespace around "="), which
 * is the hot path of a large report; anything else goes to the pattern.
 */
function attributes(xml: string, from: number, to: number, undefinedEntity?: (name: string) => void): Attrs {
  const out: Attrs = {}
  let i = from
  for (;;) {
    while (i < to && isSpace(xml.charCodeAt(i))) i++
    if (i >= to) return out
    const nameStart = i
    while (i < to) {
      const c = xml.charCodeAt(i)
      if (isSpace(c) || c === 61 /* = */ || c === 47 /* / */ || c === 62 /* > */) break
      i++
    }
    const nameEnd = i
    while (i < to && isSpace(xml.charCodeAt(i))) i++
    if (nameEnd === nameStart || xml.charCodeAt(i) !== 61) return attributesByPattern(xml, from, to, undefinedEntity)
    i++
    while (i < to && isSpace(xml.charCodeAt(i))) i++
    const quote = xml.charCodeAt(i)
    if (quote !== 34 && quote !== 39) return attributesByPattern(xml, from, to, undefinedEntity)
    const close = xml.indexOf(quote === 34 ? '"' : '\'', i + 1)
    if (close < 0 || close >= to) return attributesByPattern(xml, from, to, undefinedEntity)
    const name = xml.slice(nameStart, nameEnd)
    if (!(name in out)) out[name] = attributeValue(xml.slice(i + 1, close), undefinedEntity)
    i = close + 1
  }
}

const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g

/** The attributes of a tag in a shape the hand-written reader does not take: every `name="value"` the pattern finds. */
function attributesByPattern(xml: string, from: number, to: number, undefinedEntity?: (name: string) => void): Attrs {
  const out: Attrs = {}
  if (to <= from) return out
  const source = xml.slice(from, to)
  ATTRIBUTE.lastIndex = 0
  for (let m = ATTRIBUTE.exec(source); m; m = ATTRIBUTE.exec(source)) {
    if (!(m[1]! in out)) out[m[1]!] = attributeValue(m[2] ?? m[3]!, undefinedEntity)
  }
  return out
}

/** The index just past `close` after `from`, or the end of the text when it never comes. */
function past(xml: string, close: string, from: number): number {
  const i = xml.indexOf(close, from)
  return i < 0 ? xml.length : i + close.length
}

/** The index past the ">" that ends a <!DOCTYPE …> (past its internal subset) or another <!…> declaration. */
function declarationEnd(xml: string, lt: number): number {
  const gt = xml.indexOf('>', lt)
  const bracket = xml.indexOf('[', lt)
  if (bracket >= 0 && (gt < 0 || bracket < gt) && xml.startsWith('<!DOCTYPE', lt)) {
    const close = /\]\s*>/g
    close.lastIndex = bracket
    const m = close.exec(xml)
    return m ? m.index + m[0].length : xml.length
  }
  return gt < 0 ? xml.length : gt + 1
}

const isNameEnd = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 47 /* / */ || c === 62 /* > */

/** Walks a well-formed document once, calling the handler for every start tag, end tag and wanted text. */
export function scanXml(xml: string, h: XmlHandler): void {
  const n = xml.length
  const undefinedEntity = h.undefinedEntity?.bind(h)
  let i = 0
  while (i < n) {
    const lt = xml.indexOf('<', i)
    const end = lt < 0 ? n : lt
    if (end > i && h.wantsText()) h.text(decodeEntities(eol(xml.slice(i, end)), undefinedEntity))
    if (lt < 0) return
    const next = xml.charCodeAt(lt + 1)
    if (next === 33 /* ! */) {
      if (xml.startsWith('<!--', lt)) i = past(xml, '-->', lt + 4)
      else if (xml.startsWith('<![CDATA[', lt)) {
        i = past(xml, ']]>', lt + 9)
        if (h.wantsText()) h.text(eol(xml.slice(lt + 9, i - 3)))
      }
      else i = declarationEnd(xml, lt)
      continue
    }
    if (next === 63 /* ? */) {
      i = past(xml, '?>', lt + 2)
      continue
    }
    if (next === 47 /* / */) {
      h.close()
      i = past(xml, '>', lt + 2)
      continue
    }
    let j = lt + 1
    while (j < n && !isNameEnd(xml.charCodeAt(j))) j++
    const name = xml.slice(lt + 1, j)
    const from = j
    let quote = 0
    for (; j < n; j++) {
      const c = xml.charCodeAt(j)
      if (quote) {
        if (c === quote) quote = 0
      }
      else if (c === 34 || c === 39) quote = c
      else if (c === 62 /* > */) break
    }
    const selfClosing = xml.charCodeAt(j - 1) === 47
    const to = selfClosing ? j - 1 : j
    // read once however often the handler asks (an entity in them is told once)
    let attrs: Attrs | undefined
    h.open(name, () => attrs ??= attributes(xml, from, to, undefinedEntity))
    if (selfClosing) h.close()
    i = j + 1
  }
}
