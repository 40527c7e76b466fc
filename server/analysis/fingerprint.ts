import { createHash, hash } from 'node:crypto'
import type { FailureCategory } from '#shared/constants'
import { classifyError } from './diagnosis/engine'
import { onlyValues } from './only-values'
import { framesOf, isFrame, isLibrary, isTest, jvmSourcePath, type Frame } from './frames'
import { maskPath, repositoryPath, rootsOf, type Roots } from './paths'
import { rustPanicIn, type RustPanic } from './rust-panics'

/**
 * Bump when the normalisation changes: stored clusters of older versions are re-clustered at start.
 * v3: hex ids mask alike whether or not they hold a letter; the category is the rule engine's.
 * v4: an assertion that says nothing but its masked values ("expected <n> to equal <n>") keys on the file it failed in;
 *     Playwright's missing browser executable is one cause whichever browser it names.
 * v5: a Java 9+ frame's class loader and module ("app//", "java.base/") are not part of its function: Gradle's JUnit
 *     frames ("at app//org.junit…") read as library code, so a values-only assertion keys on the test's file.
 * v6: a file in the key (a values-only assertion's, an anonymous crash's) is its path under the repository root where
 *     the stack shows that root, not its base name: two packages' tests/cart.spec.ts of a monorepo are two files.
 * v7: a Go package under internal/ is the program's own code (only Node's bare `internal/…` frames are the runtime's),
 *     a frame in Go's module cache a dependency's: a Go crash keys on the program's function that panicked.
 *     go-junit-report's log lines read as gotestsum's (the `x_test.go:12:` prefix left out, a t.Error type); a Go
 *     network error keys without what wrapped it ("save: dial tcp …: connection refused" is "dial tcp …").
 * v8: a frame relative to its Vitest project's root (`❯ tests/cart.spec.ts`) is its path under the repository, as the
 *     report names the test (classname `packages/admin/tests/cart.spec.ts`); Vitest's `❯ fn file:line` frame has its
 *     function apart from its file; a JVM frame's file is in its class's package (`com/acme/orders/OrderTest.java`).
 * v9: a Rust panic is read with its own reader (rust-panics.ts): its message below `thread '…' panicked at`, type
 *     `panic`, keyed with the file it panicked in (an unwrap on None in two files is two causes, with or without a
 *     backtrace), its place the cluster's location; Rust's standard library frames are library code.
 */
export const FINGERPRINT_VERSION = 9

export interface FailureSignal {
  message: string | null
  stack: string | null
  /** The test's file as its report gives it: a relative one shows where the repository's root lies in absolute frames. */
  file?: string | null
  /**
   * The test's suites as its report gives them: a JUnit classname that names the test's path under the repository
   * (Vitest's `packages/admin/tests/cart.spec.ts`) shows where a frame relative to its project's root lies.
   */
  suitePath?: readonly string[] | null
}

export interface FailureFingerprint {
  fingerprint: string
  version: number
  errorType: string
  category: FailureCategory
  title: string
  locator: string | null
  location: string | null
}

/*
 * How a fingerprint is made (every regex here is linear: no nested quantifiers that can overlap, and token rules are
 * anchored to the start of a token so a long run of text is scanned once):
 *  1. Clean: ANSI colours (also the ones whose ESC was lost in XML), decoration, CR.
 *  2. Extract, from the message and from the top of the stack, the error type and the lines that say what went
 *     wrong, with a reader per shape: Go test output, pytest `E` lines, Python tracebacks, and a generic reader for
 *     JavaScript/TypeScript, JVM, .NET, Ruby and PHP (frames, code excerpts, report headers and call logs left out).
 *     A placeholder message ("Failed", a test title) gives way to the stack.
 *  3. Mask what varies between occurrences of one cause: timestamps, dates, UUIDs, URLs (host masked, path kept),
 *     emails, paths (directories masked, a stable file name kept, temp and test files masked whole), hosts and ports,
 *     hashes, memory addresses, durations, numbers and line:column; a short hex id masks as a number, since the same
 *     id is all digits now and then. Quoted values stay: `KeyError: 'a'`
 *     and `KeyError: 'b'` are two causes, and so are `expected <PAID>` and `expected <REFUNDED>`.
 *  4. Key: error type, masked lines, the failing locator with its main argument, and, for crashes, the first frame
 *     of application code (neither a library nor a test file) by function name only.
 * The test's own file, name and line are not part of the key, so one cause groups across test files; except for an
 * assertion whose masked text is only matcher words ("expected <n> to equal <n>", "Expected: <n> Received: <n>"):
 * every wrong number in a project would be one cluster, so it keys on the file of the first frame outside libraries,
 * the assertion's own (a helper's assertion shared by many tests keys on the helper's file).
 * A file in the key is its path under the repository root where the failure shows that root (paths.ts): a
 * monorepo's packages/a/tests/cart.spec.ts and packages/b/tests/cart.spec.ts are two files, one file checked out on
 * two CI machines is one; a frame relative to a Vitest project's root is read from the path the report names for the
 * test, and a JVM frame's file is in its class's package.
 */

/** Bounds on the work per failure: the head of the message, the top of the stack, one search for a JVM/Node cause. */
const MAX_MESSAGE = 4096
const MAX_STACK_LINES = 50
const MAX_STACK_SCAN = 16_384
const MAX_HEAD_LINES = 6
const MAX_LINE = 300

// eslint-disable-next-line no-control-regex -- ANSI escapes are control characters
const ANSI = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|[@-Z\\-_])/g
/** SGR codes whose ESC was dropped on the way into XML: "[2mexpect([22m". */
const BARE_SGR = /\[\d{1,3}(?:;\d{1,3}){0,4}m/g
const DECORATION = /[\p{Extended_Pictographic}\u25CF\u2713\u2714\u2715\u2716\u2717\u276F\u203A\u00BB]|\uFE0F/gu

// Line shapes
const SEPARATOR = /^[-─━═_⎯~^=*·•.\s]{3,}$/
const CODE_EXCERPT = /^(?:>\s*)?\d+\s*\||^\|\s*\^?/
const PW_HEADER = /^\[[^\]]*\] › |^\S+\.\w+:\d+:\d+ › /
const PHPUNIT_HEADER = /^[\w\\]+::\w+$/
const CARETS = /^[\^~]+$/
const STOP = /^(?:Call log:|=+ logs =+|attachment #\d|Stacktrace was:|Serialized Error:|During handling of the above exception|The above exception was the direct cause)/
const NOISE = /^(?:●|Failure\/Error:|Traceback \(most recent call last\):|--[A-Z]\w*$|note: run with `RUST_BACKTRACE|\(compared using .*\)$)/
/** A message that names the failure without describing it: the stack says more. */
const PLACEHOLDER = /^(?:fail(?:ed|ure)?|error(?:ed)?|message|exception|assertion failed|test failed|test suite failed to run|build error|runtime error)[.!:]?$/i
const TITLE_AS_MESSAGE = /^\S+\.\w+:\d+:\d+ \S/

const ERROR_TYPE = /^((?:[A-Za-z_$][\w$]*\.)*[\w$]*(?:Error|Exception|Failure|Fault|Interrupt|Exit|Warning|Timeout|Failed)|Error)(?: \[[A-Z_]+\])?\s?:(?:\s|$)/
const QUALIFIED_TYPE = /\b((?:[A-Za-z_]\w*\.)+[A-Z]\w*(?:Exception|Error))\s?:\s/
const MATCHER = /\bexpect\([\w$.]*\)(?:\.not)?\.\w+\(|^expected\b|\bbut (?:was|got|found)\b|^\s*got:|^Assert\.\w+\(\) Failure/i

interface Extracted {
  type: string | null
  lines: string[]
  /** Names of tests seen in the output (Go): masked wherever the message repeats them. */
  names?: string[]
  /** The Rust panic read (readRust). */
  panic?: RustPanic
}

/** Lines longer than this are cut before any rule reads them, which bounds every regex below. */
const capLines = (lines: string[]) => lines.map(l => l.length > 2 * MAX_LINE ? l.slice(0, 2 * MAX_LINE) : l)

function clean(text: string): string {
  return text.replace(ANSI, '').replace(BARE_SGR, '').replace(/\r\n?/g, '\n')
}

/** The leading `Type:` of a line, if it has one, and the rest of the line. */
function splitType(line: string): { type: string | null, rest: string } {
  const m = line.match(ERROR_TYPE)
  if (m && (m[1]!.length > 5 || m[1] === 'Error')) return { type: m[1]!, rest: line.slice(m[0].length).trim() }
  // "OneTimeSetUp: System.InvalidOperationException : …" names its type further in
  return { type: line.match(QUALIFIED_TYPE)?.[1] ?? null, rest: line }
}

/** JavaScript/TypeScript, JVM, .NET, Ruby, PHP and anything else: the lines before the first frame or call log. */
function readGeneric(lines: string[]): Extracted {
  const out: string[] = []
  let type: string | null = null
  let inDiff = false
  for (const raw of lines) {
    const t = raw.trim()
    if (!t) continue
    if (STOP.test(t) || isFrame(t)) {
      if (out.length || type) break
      continue
    }
    if (SEPARATOR.test(t) || CODE_EXCERPT.test(t) || PW_HEADER.test(t) || PHPUNIT_HEADER.test(t) || NOISE.test(t)) continue
    if (CARETS.test(t)) {
      out.pop()
      continue
    }
    // A diff: keep what changed, not the context around it.
    if (/^(?:-{1,3} ?Expected|\+{1,3} ?(?:Received|Actual)|[-+] expected - actual|\+ expected - actual)\b/.test(t)) {
      inDiff = true
      continue
    }
    if (inDiff && !/^[-+]/.test(t)) continue
    let line = t.replace(DECORATION, '').trim()
    if (!line) continue
    if (!out.length && !type) {
      // pytest's summary line "FAILED tests/x.py::test_y - KeyError: 'a'" and PHPUnit's "<name>.phptFailed asserting"
      const s = splitType(line.replace(/^(?:FAILED|ERROR) \S+ - /, '').replace(/^\S+?\.phpt(?=[A-Z])/, ''))
      type = s.type
      line = s.rest.replace(/^thrown: "?/, '')
      if (!line) continue
    }
    out.push(line.slice(0, MAX_LINE))
    if (out.length === MAX_HEAD_LINES) break
  }
  return { type, lines: out }
}

/** pytest: the `E` lines of the last failing frame, and the type from `path.py:12: KeyError`. */
function readPytest(lines: string[]): Extracted | null {
  let groups: string[][] = []
  let current: string[] | null = null
  let type: string | null = null
  for (const raw of lines) {
    const m = raw.match(/^\s*E(?:\s+(.*))?$/)
    if (m && (m[1] !== undefined || current)) {
      if (!current) groups.push(current = [])
      if (m[1]) current.push(m[1].trim())
      continue
    }
    current = null
    const where = raw.trim().match(/^(?:\S+\.py|<frozen [\w.]+>):\d+: ([A-Z][\w.]*)$/)
    if (where) type = where[1]!
  }
  groups = groups.filter(g => g.length)
  const last = groups.at(-1)
  if (!last) return null
  const s = splitType(last[0]!)
  const head = [s.rest, ...last.slice(1)].filter(Boolean)
  // "+  where 41.0 = compute_total([{...}])": which function produced the value, not the arguments of this test
  return { type: s.type ?? type ?? (/^assert\b/.test(s.rest) ? 'AssertionError' : null), lines: head.slice(0, MAX_HEAD_LINES) }
}

/** A Python traceback: the exception line(s) after the last frame of the last traceback. */
function readTraceback(lines: string[]): Extracted | null {
  let start = -1
  for (let i = 0; i < lines.length; i++) if (lines[i]!.startsWith('Traceback (most recent call last)')) start = i
  if (start < 0) return null
  const out: string[] = []
  let type: string | null = null
  for (let i = start + 1; i < lines.length; i++) {
    const raw = lines[i]!
    if (/^\s/.test(raw) || !raw.trim()) {
      if (out.length && !raw.trim()) break
      continue
    }
    if (/^(?:During handling|The above exception)/.test(raw)) break
    const s = out.length ? { type: null, rest: raw.trim() } : splitType(raw.trim())
    if (!out.length) type = s.type ?? raw.trim().match(/^([A-Z][\w.]*)$/)?.[1] ?? null
    if (s.rest) out.push(s.rest.slice(0, MAX_LINE))
    if (out.length === MAX_HEAD_LINES) break
  }
  return type || out.length ? { type, lines: out } : null
}

/** `go test` output: the t.Error/t.Fatal lines or the compiler's (their `file_test.go:12:` place dropped), or the panic. */
function readGo(lines: string[]): Extracted {
  const names = new Set<string>()
  const logs: string[] = []
  const other: string[] = []
  let panic: string | null = null
  let logIndent = -1
  // every placed line had a column: the compiler's or go vet's, not a test's log
  let compiler = true
  for (const raw of lines) {
    const t = raw.trim()
    const marker = t.match(/^(?:=== (?:RUN|PAUSE|CONT|NAME)|--- (?:FAIL|PASS|SKIP):)\s+(\S+)/)
    if (marker) {
      names.add(marker[1]!)
      logIndent = -1
      continue
    }
    if (!t || /^(?:FAIL|ok|PASS)(?:\s|$)|^exit status \d+$|^goroutine \d+ \[|^created by /.test(t)) continue
    const p = t.match(/^panic: (.*?)(?: \[recovered\])?$/)
    if (p) {
      panic ??= p[1]!
      continue
    }
    if (panic) continue
    const log = raw.match(GO_PLACED_LINE)
    if (log) {
      logIndent = log[1]!.length
      compiler &&= !!log[2]
      if (log[3]) logs.push(log[3].trim())
      continue
    }
    const indent = raw.length - raw.trimStart().length
    if (logIndent >= 0 && indent > logIndent) {
      // testify's block: the assertion, not where it ran or which test ran it
      if (!/^(?:Error Trace|Test|Messages):/.test(t)) logs.push(t.replace(/^Error:\s+/, ''))
    }
    else if (indent === 0) other.push(t)
  }
  const head = panic ? [panic] : logs.length ? logs : other
  const type = panic ? 'panic' : logs.length ? (compiler ? 'compile error' : 't.Error') : null
  return { type, lines: head.slice(0, MAX_HEAD_LINES), names: [...names] }
}

/**
 * A line go test writes with the place it comes from, read without it: a log line ("    fx_test.go:31: got 1, want
 * 2"), or the compiler's or go vet's, under the module ("internal/cart/cart.go:8:21: undefined: Discunt").
 */
const GO_PLACED_LINE = /^(\s*)(?:[\w.-]+\/)*[\w.-]+\.go:\d+(:\d+)?: ?(.*)$/
/** A text that opens with such a line. */
const GO_LOG_FIRST = /^\s*(?:[\w.-]+\/)*[\w.-]+\.go:\d+(?::\d+)?: /

/** A Rust panic: its message's lines (rust-panics.ts), type `panic`; null when the text holds none. */
function readRust(text: string): (Extracted & { panic: RustPanic }) | null {
  const panic = rustPanicIn(text)
  if (!panic) return null
  const lines = panic.message.split('\n').map(l => l.trim()).filter(Boolean).slice(0, MAX_HEAD_LINES).map(l => l.slice(0, MAX_LINE))
  return { type: 'panic', lines, panic }
}

function extract(lines: string[]): Extracted {
  const text = lines.join('\n')
  const rust = readRust(text)
  if (rust) return rust
  // go-junit-report writes a failed test's log lines alone, without go test's runner lines around them
  if (/^(?:=== RUN |--- FAIL: |panic: )/m.test(text) || GO_LOG_FIRST.test(text)) return readGo(lines)
  if (/\.py[:"]|<frozen |Traceback \(most/.test(text)) return readPytest(lines) ?? readTraceback(lines) ?? readGeneric(lines)
  return readGeneric(lines)
}

/** Whether the first lines only name the failure: a placeholder word, or the test's own title and location. */
function isPlaceholder(e: Extracted): boolean {
  return !e.lines.length || (e.lines.length === 1 && (PLACEHOLDER.test(e.lines[0]!) || TITLE_AS_MESSAGE.test(e.lines[0]!)))
}

// Masks, applied in this order to each kept line.
const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec'
const TOKEN_END = '[^\\s\'"`<>()\\[\\]{},;=]'
const CODE_EXTENSIONS = /^(?:[cm]?[jt]sx?|py|java|kt|go|rb|cs|php|phpt|rs|c|cc|cpp|h|hpp|swift|scala|vue|svelte|json|ya?ml|xml|html?|css|md|txt|log|sh)$/i

function maskUrl(url: string): string {
  const m = url.match(/^[a-z][a-z\d+.-]*:\/\/[^/?#]*([^?#]*)(\?[^#]*)?/i)
  const path = (m?.[1] ?? '').replace(/\/+$/, '')
  return `<host>${path}${m?.[2] ? '?<query>' : ''}`
}

const MASKS: [RegExp, string | ((s: string) => string)][] = [
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<ts>'],
  [/\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/g, '<date>'],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, '<time>'],
  [new RegExp(`\\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6},? )?(?:${MONTHS})[a-z]{0,6}\\.? (?=\\d)|\\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6},? (?=\\d)`, 'g'), '<date> '],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b[a-z][a-z\d+.-]{1,15}:\/\/[^\s'"`<>()[\]{}]+/gi, maskUrl],
  [new RegExp(`(?<!${TOKEN_END})${TOKEN_END}*@${TOKEN_END}*`, 'g'), (s) => {
    const at = s.lastIndexOf('@')
    return at > 0 && /^[A-Za-z\u00C0-\uFFFF]/.test(s.slice(at + 1)) && s[at - 1] !== '/' ? '<email>' : s
  }],
  [/(?<![\w\\])[A-Za-z]:\\[^\s'"`<>|*?]*/g, maskPath],
  [/(?<![\w.~/:@-])(?:~|\.{1,2})?\/(?:[^\s'"`<>()[\]{},;:/]+\/)+[^\s'"`<>()[\]{},;:/]*/g, maskPath],
  [/(?<![\w./\\-])(?:[\w.@-]+[/\\])+[\w.-]+\.[A-Za-z]{1,6}\b/g, maskPath],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b|\[[0-9a-f:]*:[0-9a-f:]+\](?::\d{1,5})?/gi, '<host>'],
  [/(?<![\w.-])(?:localhost|[a-z][\w-]*(?:\.[a-z][\w-]*)+):\d{2,5}\b/gi, s => CODE_EXTENSIONS.test(s.slice(s.lastIndexOf('.') + 1, s.lastIndexOf(':'))) ? s : '<host>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  [/\b[0-9a-f]{12,}\b/gi, '<hash>'],
  // A hex id is a number whether or not it happens to hold a letter: "order 84121009" and "order 8a3f91c2" are one cause.
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,11}\b/gi, '<n>'],
  [/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])/g, s => (s.match(/\d/g)?.length ?? 0) >= 2 && /[A-Za-z]/.test(s) && !/[a-z]{5}/.test(s) ? '<id>' : s],
  [/\b\d+(?:\.\d+)?\s?(?:ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|µs|us|ns)\b/gi, '<duration>'],
  // Status and exit codes stay: a 404 and a 500 are two causes. \uE000 shields them from the number mask.
  [/\b(status(?: code)?|HTTP(?:\/\d(?:\.\d)?)?|exit(?:ed)?(?: with)?(?: error)? (?:code|status))(\s*:?\s*)(\d{1,3})\b/gi, s => s.replace(/(\d+)$/, '\uE000$1')],
  [/(?<![A-Za-z\d\uE000])\d+(?:[.,]\d+)*(?:e[+-]?\d+)?(?![A-Za-z\d])/g, '<n>'],
]

/** pytest's "+  where 41.0 = compute_total([{...}])": which function produced the value, not this test's arguments. */
function dropWhereArguments(line: string): string {
  if (!/^\+\s*where /.test(line)) return line
  const open = line.indexOf('(')
  const close = line.lastIndexOf(')')
  return open > 0 && close > open ? `${line.slice(0, open)}(…)${line.slice(close + 1)}` : line
}

/**
 * Go's network errors, wrapped by the code that met them ("save: dial tcp <host>: connect: connection refused", "load
 * rates: dial tcp …"): one outage is one cause whatever wrapped it. Only the well-known failure tails, masked.
 */
const NET_FAILURE_TAIL = /(?:connection refused|i\/o timeout|no such host|connection reset by peer)$/
const GO_NET_OP = /\b(?:(?:dial|read|write) (?:tcp|udp)[46]?\b|lookup \S)/

function unwrapNetError(line: string): string {
  const at = NET_FAILURE_TAIL.test(line) ? line.search(GO_NET_OP) : -1
  return at > 0 ? line.slice(at) : line
}

function mask(line: string): string {
  let out = dropWhereArguments(line.slice(0, MAX_LINE))
  for (const [re, to] of MASKS) out = typeof to === 'string' ? out.replace(re, to) : out.replace(re, to)
  return out.replace(/\uE000/g, '').replace(/<<n>>/g, '<n>').replace(/\s+/g, ' ').trim()
}

/** Masks the test's own names where the message repeats them; names of two letters or less only at the end of a line. */
function maskNames(line: string, names: string[]): string {
  let out = line
  for (const name of names) {
    for (const part of new Set([name, name.slice(name.lastIndexOf('/') + 1)])) {
      if (!part) continue
      const escaped = part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      out = out.replace(new RegExp(part.length <= 2 ? `(?<![\\w-])${escaped}$` : `(?<![\\w-])${escaped}(?![\\w-])`, 'g'), '<test>')
    }
  }
  return out
}

// The failing locator: a Playwright/Testing Library call chain, kept with its main argument.
const LOCATOR_START = /\b(?:locator|getBy(?:Role|Text|Label|Placeholder|AltText|Title|TestId)|frameLocator)\(/
const CHAIN_METHOD = /^\.(?:locator|getBy(?:Role|Text|Label|Placeholder|AltText|Title|TestId)|filter|first|last|nth|and|or|frameLocator|contentFrame)\(/

/** The call chain starting at `start`: balanced parentheses, quotes respected, at most 300 characters. */
function readChain(text: string, start: number): string {
  let depth = 0
  let quote = ''
  let i = start
  const end = Math.min(text.length, start + 300)
  for (; i < end; i++) {
    const c = text[i]!
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = ''
      continue
    }
    if (c === '\'' || c === '"' || c === '`') quote = c
    else if (c === '(') depth++
    else if (c === ')' && --depth === 0) {
      const next = text.slice(i + 1, i + 40).match(CHAIN_METHOD)
      if (!next) return text.slice(start, i + 1)
    }
    else if (c === '\n') break
  }
  return text.slice(start, i)
}

function findLocator(head: string, callLog: string): { display: string, key: string } | null {
  for (const text of [head, callLog]) {
    const m = LOCATOR_START.exec(text)
    const selector = m ? null : text.match(/waiting for selector ["'](.{1,200}?)["']/)
    const display = m ? readChain(text, m.index).replace(/\s+/g, ' ') : selector ? `selector('${selector[1]}')` : null
    if (!display) continue
    const key = mask(display.replace(/\.(?:first|last)\(\)|\.nth\(\s*\d+\s*\)/g, '').replace(/,?\s*exact:\s*(?:true|false)\s*/g, '').replace(/,\s*\{\s*\}/g, ''))
    return { display: display.slice(0, 200), key }
  }
  return null
}

/** The text between "Call log:" and the end of that block, for the locator an action waited for. */
function callLogOf(text: string): string {
  const i = text.indexOf('Call log:')
  if (i >= 0) return text.slice(i, i + 1500)
  const j = text.indexOf('waiting for selector')
  return j >= 0 ? text.slice(j, j + 300) : ''
}

/** The application function that threw: neither library nor test code. Its name only, so line numbers may move. */
function originOf(frames: Frame[], roots: Roots): string | null {
  const f = frames.find(x => !isLibrary(x) && !isTest(x))
  if (!f) return null
  const fn = f.fn.replace(/^Object\./, '').replace(/\$\d+|\$\$Lambda.*$|lambda\$\w+\$\d+/g, '$')
  return !fn || /<anonymous>|^Object$/.test(fn) ? repositoryPath(f.file, roots) : fn
}

/**
 * The file of the first frame outside libraries (test files included): where an assertion failed. A JVM frame's in its
 * package's directory: com.acme.orders and com.acme.billing's OrderTest.java are two files.
 */
function assertionSite(frames: Frame[], roots: Roots): string | null {
  const f = frames.find(x => !isLibrary(x))
  return f ? jvmSourcePath(f) ?? repositoryPath(f.file, roots) : null
}

/** Fingerprints kept per process, by a hash of what they were read from: a suite's failures repeat run after run. */
const KEPT_FINGERPRINTS = 10_000
const kept = new Map<string, Readonly<FailureFingerprint> | null>()

/**
 * A stable signature of a failure's root cause: error type, normalised message head, failing locator and, for
 * crashes, the application function that threw, hashed. The test's own file and name are never part of it, so one
 * cause groups across spec files (the file only shows where the repository's root lies in the stack's paths).
 *
 * A failure seen before (the same message, stack and file, as read) answers from memory: reading one takes ~21 µs, most
 * of it the classifier's patterns, and the failing tests of a suite fail the same way upload after upload (1,000 of
 * them were 21 ms of each upload's clusters step). The answer is frozen, being shared.
 */
export function fingerprintFailure(signal: FailureSignal): Readonly<FailureFingerprint> | null {
  const text = `${(signal.message ?? '').slice(0, MAX_MESSAGE)}\u0000${signal.stack?.slice(0, MAX_STACK_SCAN) ?? ''}`
  const key = hash('sha1', `${text}\u0000${signal.file ?? ''}\u0000${signal.suitePath?.join('\u0000') ?? ''}`)
  const known = kept.get(key)
  if (known !== undefined) return known
  const read = readFingerprint(signal)
  if (kept.size >= KEPT_FINGERPRINTS) kept.delete(kept.keys().next().value!)
  kept.set(key, read && Object.freeze(read))
  return read
}

function readFingerprint(signal: FailureSignal): FailureFingerprint | null {
  const message = clean((signal.message ?? '').slice(0, MAX_MESSAGE)).trim()
  const stackRaw = signal.stack ? signal.stack.slice(0, MAX_STACK_SCAN) : ''
  const stackLines = capLines(clean(stackRaw).split('\n').slice(0, MAX_STACK_LINES))
  const hasStack = stackLines.some(l => l.trim())
  if (!message && !hasStack) return null

  const messageLines = capLines(message.split('\n'))
  const fromMessage = extract(messageLines)
  const fromStack = extract(stackLines)
  // The stack wins when the message only names the failure, or when it says the same and more (jest-junit puts the
  // first line in the message and Expected/Received in the body).
  const maskedOf = (e: Extracted) => e.lines.map(l => mask(l)).join('\n')
  let chosen = fromMessage
  if (isPlaceholder(fromMessage) && !isPlaceholder(fromStack)) chosen = fromStack
  else if (fromStack.lines.length > fromMessage.lines.length && maskedOf(fromStack).startsWith(maskedOf(fromMessage))) chosen = fromStack
  if (!chosen.lines.length) chosen = fromMessage.lines.length ? fromMessage : fromStack
  // a Rust panic reads alike whether the report gave its message apart (libtest, as ingest reads it) or not (nextest)
  const panic = fromStack.panic ?? fromMessage.panic
  if (panic) chosen = [fromStack, fromMessage].find(e => e.panic && e.lines.length) ?? chosen
  const names = [...(fromMessage.names ?? []), ...(fromStack.names ?? [])]
  let lines = chosen.lines.map(l => mask(names.length ? maskNames(l, names) : l))
    // Playwright's browsers not installed: one cause whichever browser's executable it names (chrome, pw_run.sh)
    .map(l => l.replace(/^(Snapshot name:) `.*`$/, '$1 <test>').replace(/(Executable doesn't exist at) <(?:path|tmp)>\S*/, '$1 <path>'))
  if (!lines.length) lines = [mask(messageLines.find(l => l.trim()) ?? stackLines.find(l => l.trim())!.trim())]

  // A wrapped JVM/Node error: the root cause is the last "Caused by:" / "[cause]:" of the stack.
  const causeAt = Math.max(stackRaw.lastIndexOf('\nCaused by: '), stackRaw.lastIndexOf('[cause]: '))
  const causeLine = causeAt < 0 ? null : clean(stackRaw.slice(causeAt, causeAt + MAX_LINE).split('\n').find(l => l.trim()) ?? '')
  if (causeLine != null) lines.push(mask(`caused by ${causeLine.replace(/^\s*(?:Caused by:|\[cause\]:)\s*/, '')}`))

  const headText = chosen.lines.join('\n')
  const firstLine = chosen.lines[0] ?? ''
  const errorType = chosen.type ?? fromStack.type ?? fromMessage.type ?? (MATCHER.test(firstLine) ? 'AssertionError' : 'Error')
  const type = MATCHER.test(firstLine) && /^(?:Error|AssertionError)$/.test(errorType) ? 'AssertionError' : errorType
  const found = findLocator(headText, callLogOf(message) || callLogOf(stackRaw.slice(0, 4096)))
  // The rule engine's classifier, so a cluster and its diagnosis name one category; on the capped lines, which bounds
  // the work of its patterns on a hostile message (a 4,000-space line cost 75 ms uncapped).
  const classified = classifyError(messageLines.join('\n'), [...stackLines, causeLine ?? ''].join('\n'))
  const category: FailureCategory = classified?.category ?? 'unknown'
  // When a host cannot be reached, which page was asked for does not matter; for an HTTP error it does.
  if (category === 'network') lines = lines.map(l => l.replace(/<host>\/[^\s'"`)]*/g, '<host>')).map(unwrapNetError)
  const normalised = lines.join('\n')
  const frames = framesOf(hasStack ? stackLines : messageLines.slice(0, MAX_STACK_LINES))
  const roots = rootsOf(frames.map(f => f.file), signal.file ?? null, [signal.file ?? '', ...signal.suitePath ?? []].filter(Boolean))
  // a Rust panic's place is in its first line, with or without a backtrace: the file it panicked in
  const panicFile = panic ? repositoryPath(panic.file, roots) : null
  const origin = panicFile ?? (category === 'crash' || category === 'unknown' ? originOf(frames, roots) : !found && onlyValues(lines) ? assertionSite(frames, roots) : null)
  // With a locator, the action does not matter: a click and a fill that both wait for a missing element are one cause.
  const keyText = found ? normalised.replace(/\b(?:locator|page|frame|elementHandle)\.\w+:/g, '<action>:') : normalised
  const hash = createHash('sha256').update(JSON.stringify([FINGERPRINT_VERSION, type, keyText, found?.key ?? null, origin])).digest('hex').slice(0, 24)
  const at = frames.find(f => !isLibrary(f))
  return {
    fingerprint: `v${FINGERPRINT_VERSION}:${hash}`,
    version: FINGERPRINT_VERSION,
    errorType: type,
    category,
    title: (lines[0] ?? '').slice(0, 200),
    locator: found?.display ?? null,
    // a relative frame as the repository names it: Vitest's `tests/cart.spec.ts` of packages/admin links to its file
    location: panicFile ? `${panicFile}:${panic!.line}` : at ? `${roots.base ? repositoryPath(at.file, roots) : at.file}:${at.line}` : null,
  }
}
