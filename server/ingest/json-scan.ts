/*
 * JSON read without building it: a strict check that a text is one JSON document (what JSON.parse accepts, nothing
 * more), and a cursor that finds where each value starts and ends, so a caller decodes only the parts it wants, one
 * at a time (JSON.parse of the part's text). A 50 MB Playwright report parsed whole held 210–230 MB of objects in
 * the parse worker; read this way it holds one spec at a time. Pure, no I/O.
 */

/** Where a value's text starts and ends (exclusive) in the document. */
export interface Span {
  start: number
  end: number
}

const isWs = (c: number) => c === 32 || c === 10 || c === 13 || c === 9
const isDigit = (c: number) => c >= 48 && c <= 57
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)

/** Thrown inside the scan at the first thing JSON.parse would refuse; callers let JSON.parse word the error. */
class NotJson extends Error {}

/** A cursor over a JSON text. Every method starts at `i` (whitespace allowed) and leaves `i` after what it read. */
export class JsonCursor {
  i = 0
  constructor(readonly text: string) {}

  private ws(): number {
    const t = this.text
    while (this.i < t.length && isWs(t.charCodeAt(this.i))) this.i++
    return this.i < t.length ? t.charCodeAt(this.i) : -1
  }

  private expect(c: number): void {
    if (this.ws() !== c) throw new NotJson()
    this.i++
  }

  /** The first character of the next value ('{', '[', '"', a digit, '-', 't', 'f', 'n'), without reading it. */
  peek(): string {
    const c = this.ws()
    return c < 0 ? '' : String.fromCharCode(c)
  }

  /** Skips one string (strictly: no raw control characters, only JSON's escapes). */
  private string(): void {
    const t = this.text
    this.expect(34)
    for (;;) {
      if (this.i >= t.length) throw new NotJson()
      const c = t.charCodeAt(this.i++)
      if (c === 34) return
      if (c < 0x20) throw new NotJson()
      if (c !== 92) continue
      const e = t.charCodeAt(this.i++)
      if (e === 117) {
        for (let k = 0; k < 4; k++) if (!isHex(t.charCodeAt(this.i++))) throw new NotJson()
      }
      else if (e !== 34 && e !== 92 && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) throw new NotJson()
    }
  }

  private number(): void {
    const t = this.text
    const digits = () => {
      const from = this.i
      while (isDigit(t.charCodeAt(this.i))) this.i++
      if (this.i === from) throw new NotJson()
    }
    if (t.charCodeAt(this.i) === 45) this.i++
    if (t.charCodeAt(this.i) === 48) this.i++
    else digits()
    if (t.charCodeAt(this.i) === 46) {
      this.i++
      digits()
    }
    const e = t.charCodeAt(this.i)
    if (e === 101 || e === 69) {
      this.i++
      const s = t.charCodeAt(this.i)
      if (s === 43 || s === 45) this.i++
      digits()
    }
  }

  private literal(word: string): void {
    if (!this.text.startsWith(word, this.i)) throw new NotJson()
    this.i += word.length
  }

  /** Skips one value of any kind, checking it strictly; returns its span. */
  skip(): Span {
    const c = this.ws()
    const start = this.i
    if (c === 123) this.members(() => this.skip())
    else if (c === 91) this.elements(() => this.skip())
    else if (c === 34) this.string()
    else if (c === 45 || isDigit(c)) this.number()
    else if (c === 116) this.literal('true')
    else if (c === 102) this.literal('false')
    else if (c === 110) this.literal('null')
    else throw new NotJson()
    return { start, end: this.i }
  }

  /** Reads an object, calling `member` with each key at its value (which `member` must read: skip() or more). */
  members(member: (key: string) => void): void {
    this.expect(123)
    if (this.ws() === 125) {
      this.i++
      return
    }
    for (;;) {
      const { start, end } = this.keySpan()
      this.expect(58)
      // most keys have no escapes: their text is the key
      const raw = this.text.slice(start + 1, end - 1)
      member(raw.includes('\\') ? JSON.parse(this.text.slice(start, end)) as string : raw)
      const c = this.ws()
      this.i++
      if (c === 125) return
      if (c !== 44) throw new NotJson()
    }
  }

  /** Reads an array, calling `element` at each element (which `element` must read). */
  elements(element: () => void): void {
    this.expect(91)
    if (this.ws() === 93) {
      this.i++
      return
    }
    for (;;) {
      element()
      const c = this.ws()
      this.i++
      if (c === 93) return
      if (c !== 44) throw new NotJson()
    }
  }

  private keySpan(): Span {
    this.ws()
    const start = this.i
    this.string()
    return { start, end: this.i }
  }

  /** Checks that nothing but whitespace follows the document. */
  end(): void {
    if (this.ws() !== -1) throw new NotJson()
  }

  /** The value of a span, decoded. */
  value(span: Span): unknown {
    return JSON.parse(this.text.slice(span.start, span.end))
  }
}

/**
 * Runs `read` over the document (which must read all of it) and checks that nothing follows; null when the text
 * is not one JSON document (callers let JSON.parse word what is wrong).
 */
export function readJson<T>(text: string, read: (cursor: JsonCursor) => T): T | null {
  const cursor = new JsonCursor(text)
  try {
    const value = read(cursor)
    cursor.end()
    return value
  }
  catch (err) {
    if (err instanceof NotJson) return null
    throw err
  }
}
