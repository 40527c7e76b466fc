/**
 * How a test is named on screen. A test's stored title and suite path (its identity, hashed) are never changed here:
 * these only say them, without the root suite a framework names by default (`pytest`) and with a pytest id decoded.
 * A JVM report names a test by its method (`contextLoads()`) and its class by its binary name
 * (`com.example.api.ApplicationTests`, a JUnit 5 @Nested one `com.example.FooTest$Inner`); every Spring Boot module
 * has an `ApplicationTests.contextLoads()`, so a list says the class before the method, and the package on hover.
 */
import { likeEscaped } from './search'
import { GO_PACKAGE_FAILED, goPackageOf } from './go-tests'
import { isLibtestPath, rustTestOf } from './rust-tests'

export interface NamedTest {
  title: string
  suitePath: readonly string[]
}

/**
 * The two patterns a test's name is read by, as sources that JavaScript and Postgres regular expressions read alike
 * (ASCII classes spelled out, no `.`): the flaky list sorts by the name in SQL (server/services/test-cases.ts).
 * `qualifiedClass`: a JVM (or .NET, or pytest) class by its qualified binary name: optional package, class, nested
 * classes after `$`. `method`: a method as JUnit 5 names it (`contextLoads()`, `adds(int, int)`), parameters and all
 * (on one line).
 */
export const NAME_PATTERNS = {
  qualifiedClass: String.raw`^((?:[A-Za-z_][A-Za-z0-9_]*\.)*)([A-Z][A-Za-z0-9_]*(?:\$[A-Za-z_][A-Za-z0-9_]*)*)$`,
  method: String.raw`^[A-Za-z_$][A-Za-z0-9_$]*\([^\n\r\u2028\u2029]*\)$`,
}
const QUALIFIED_CLASS = new RegExp(NAME_PATTERNS.qualifiedClass)
const METHOD = new RegExp(NAME_PATTERNS.method)

/**
 * The root suite a framework writes when nobody names one, which says nothing about its tests: pytest's junitxml
 * (`pytest`, its junit_suite_name), rspec_junit_formatter (`rspec`, `rspec2` under parallel_tests), mocha's xunit
 * reporter (`Mocha Tests`), mocha-junit-reporter's suite of top-level tests (`Root Suite`), PHPUnit run on paths
 * (`CLI Arguments`). jest-junit's and vitest's `jest tests` and `vitest tests` name the <testsuites> root, no suite.
 */
const DEFAULT_ROOT_SUITE = /^(?:pytest|rspec\d*|Mocha Tests|Root Suite|CLI Arguments)$/

/** A suite path as shown: without its root suite when a framework named it by default. */
export function shownSuites(suitePath: readonly string[]): readonly string[] {
  return suitePath.length && DEFAULT_ROOT_SUITE.test(suitePath[0]!) ? suitePath.slice(1) : suitePath
}

/**
 * How a title's parametrize id is read (sources that JavaScript, with the `s` flag, and Postgres read alike: the flaky
 * list sorts by the shown title in SQL, server/services/sort-keys.ts). pytest writes an id's non-ASCII characters as
 * Python escapes (`test_greets[M\xfcller]`, `\u65e5`, `\U0001f600`; a backslash as `\\`: _pytest/compat.py
 * ascii_escaped). `escapedId`: a title whose id (from its first `[` to its closing `]`) holds such an escape.
 * `escapeToken`: the id read in tokens, an escape with its hex digits (x, u or U), any other backslash with the
 * character it escapes, or a run without one.
 */
export const ESCAPE_PATTERNS = {
  escapedId: String.raw`^[^[]*\[.*\\[xuU][0-9a-fA-F].*\]$`,
  escapeToken: String.raw`\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))|\\.?|[^\\]+`,
}
const ESCAPED_ID = new RegExp(ESCAPE_PATTERNS.escapedId, 's')

/**
 * The code points an escape is decoded to: printable beyond ASCII and its controls (from U+00A0). Escapes of the
 * rest stay as written, where a character would not show or would break the line: spaces and marks of no width
 * (soft hyphen, U+2000-U+200F, U+2028-U+202F, U+205F-U+206F, U+FEFF), surrogates, specials.
 */
export const DECODED_CODE_POINTS = {
  from: 0xa0,
  to: 0x10ffff,
  except: [
    [0xad, 0xad], [0x2000, 0x200f], [0x2028, 0x202f], [0x205f, 0x206f], [0xd800, 0xdfff], [0xfeff, 0xfeff], [0xfff0, 0xffff],
  ] as const,
}

const decodable = (cp: number) => cp >= DECODED_CODE_POINTS.from && cp <= DECODED_CODE_POINTS.to
  && !DECODED_CODE_POINTS.except.some(([a, b]) => cp >= a && cp <= b)

/** A title as shown: a pytest id's escapes decoded (`test_greets[Müller]`), every other title as it is. */
export function shownTitle(title: string): string {
  if (!ESCAPED_ID.test(title)) return title
  const open = title.indexOf('[')
  const id = title.slice(open).replace(new RegExp(ESCAPE_PATTERNS.escapeToken, 'gs'), (token, x?: string, u?: string, U?: string) => {
    const hex = x ?? u ?? U
    const cp = hex ? Number.parseInt(hex, 16) : 0
    return hex && decodable(cp) ? String.fromCodePoint(cp) : token
  })
  return title.slice(0, open) + id
}

/**
 * `text` as pytest writes it in a parametrize id, every character past ASCII escaped (`Müller` → `M\\xfcller`, `日本` →
 * `\\u65e5\\u672c`; Python's unicode_escape, shownTitle's inverse): what a search for the name shown also looks for.
 * Null when nothing in it would be escaped.
 */
export function pytestEscaped(text: string): string | null {
  if (![...text].some(ch => ch.codePointAt(0)! > 0x7f)) return null
  let out = ''
  for (const ch of text) {
    const cp = ch.codePointAt(0)!
    const hex = (digits: number) => cp.toString(16).padStart(digits, '0')
    out += cp < 0x80 ? ch : cp < 0x100 ? `\\x${hex(2)}` : cp < 0x10000 ? `\\u${hex(4)}` : `\\U${hex(8)}`
  }
  return out
}

/**
 * What a case-blind search for `text` looks for as pytest escapes it: ilike folds ASCII letters but not an escape's
 * hex digits (`ü` is `\\xfc`, `Ü` `\\xdc`), so `text` is escaped lowercased and uppercased (a name whose letters past
 * ASCII are all of one case is found either way). Empty when nothing in it would be escaped.
 */
export function pytestEscapes(text: string): string[] {
  return [...new Set([text.toLowerCase(), text.toUpperCase()].map(pytestEscaped).filter(e => e !== null))]
}

/**
 * The class a test's last suite names, when it names one: its package (`com.example.api`, '' in the default package)
 * and its classes outermost first (`['FooTest', 'Inner']`). A bare name (`Checkout`, a describe block as easily) is a
 * class only beside a method-like title.
 */
export function jvmClassOf(t: NamedTest): { pkg: string, classes: string[], binaryName: string } | null {
  const last = t.suitePath[t.suitePath.length - 1]
  const m = last ? QUALIFIED_CLASS.exec(last) : null
  if (!m) return null
  const [, dotted = '', name = ''] = m
  if (!dotted && !name.includes('$') && !METHOD.test(t.title)) return null
  return { pkg: dotted.replace(/\.$/, ''), classes: name.split('$'), binaryName: last! }
}

/**
 * A suite path as read (shownSuites): a nested class by its own name after its outer one (`com.example.FooTest$Inner` reads
 * `com.example.FooTest › Inner`), and a nested class's suite that repeats the outer one's (Surefire) once; a Rust test's
 * module (or doc-test's file) without libtest's `test` around it.
 */
export function suiteLabel(path: readonly string[]): string {
  if (isLibtestPath(path)) return path[1]!
  const suitePath = shownSuites(path)
  return suitePath.map((s, i) => {
    const outer = suitePath[i - 1]
    const own = outer && s.startsWith(`${outer}$`) ? s.slice(outer.length + 1) : s
    return QUALIFIED_CLASS.test(s) ? own.split('$').join(' › ') : own
  }).join(' › ')
}

/**
 * A test's name in a list: its title, after its class where the suite names one (`ApplicationTests › contextLoads()`,
 * `FooTest › Inner › works()`), so two modules' `contextLoads()` tell apart; a Rust test as cargo names it, by its
 * module path (`tests::parser::unwraps`).
 */
export function testName(t: NamedTest): string {
  const rust = rustTestOf(t)
  if (rust) return rust.name
  const cls = jvmClassOf(t)
  const title = shownTitle(t.title)
  return cls ? [...cls.classes, title].join(' › ') : title
}

/**
 * `name` for an item that carries a test's title (a receipt's failed tests): its name as lists show it when that says
 * more than the title (a JVM test with its class), else nothing. A Go package that failed as a whole is named with its
 * package, which a list shows on its second line (testPlace) and a receipt has no room for: five packages'
 * `[build failed]` read apart in a CI comment too.
 */
export function namedApart(t: NamedTest): { name?: string } {
  const pkg = GO_PACKAGE_FAILED.test(t.title) ? goPackageOf(t) : null
  const name = pkg ? `${pkg} › ${t.title}` : testName(t)
  return name === t.title ? {} : { name }
}

/** A test's whole name, suites first (the package with its class): what a list's name says on hover. */
export function testFullName(t: NamedTest): string {
  const rust = rustTestOf(t)
  if (rust) return rust.name
  const suites = suiteLabel(t.suitePath)
  return suites ? `${suites} › ${shownTitle(t.title)}` : shownTitle(t.title)
}

/**
 * Where a test lives, for a list's second line: its file, else its class's package (JVM reports name no file), else its
 * Go package (neither Go reporter names a file): five packages' `[build failed]` read apart; a Rust doc-test's file.
 */
export function testPlace(t: NamedTest & { file: string | null }): string | null {
  return t.file ?? (jvmClassOf(t)?.pkg || goPackageOf(t) || (rustTestOf(t)?.kind === 'doc' ? t.suitePath[1]! : null))
}

/**
 * Two tests in the order a list of names reads: by the name shown (testName), capitals and small letters alike, then
 * by the whole name (two modules' `ApplicationTests › contextLoads()` by their package). Code point order, not a
 * locale's, so every server orders alike.
 */
export function byTestName(a: NamedTest, b: NamedTest): number {
  return byCodePoint(testName(a).toLowerCase(), testName(b).toLowerCase()) || byCodePoint(testFullName(a), testFullName(b))
}

/** Two texts in code point order (UTF-16 units, as `<` compares them), not a locale's: every server orders alike. */
export const byCodePoint = (x: string, y: string): number => x < y ? -1 : x > y ? 1 : 0

/** Where a name as lists show it parts: ` › ` between its classes or suites and its title, or ` > ` as people type it. */
const NAME_PARTS = / [›>] /g
/** Cuts tried from a name's end: a title holding ` › ` itself (`Cart › a › b`, title `a › b`) is read at an earlier cut. */
const NAME_CUTS = 4

/**
 * LIKE patterns (backslash escapes) over a test's search text (`title suites… file`, space-separated:
 * server/services/search.ts) that hold the test `text` names as the lists show it (testName, testFullName), parted at
 * ` › `: its last part is in the title, the parts before it in the suite path in that order, each a substring
 * (`ApplicationTests › contextLoads()` finds the suite `com.example.ApplicationTests`; `CartTest › WhenEmpty › total()`
 * the suite `com.example.CartTest$WhenEmpty`), a title after the last ` › ` also as pytest escapes it. None when `text`
 * has no ` › `.
 */
export function shownNameLikes(text: string): string[] {
  const cuts = [...text.matchAll(NAME_PARTS)].map(m => m.index).slice(-NAME_CUTS).reverse()
  return cuts.flatMap((at, i) => {
    const title = text.slice(at + 3).trim()
    const suites = text.slice(0, at).split(NAME_PARTS).map(s => s.trim()).filter(Boolean)
    if (!title || !suites.length) return []
    const inSuites = suites.map(likeEscaped).join('%')
    return [title, ...i ? [] : pytestEscapes(title)].map(t => `%${likeEscaped(t)}% %${inSuites}% %`)
  })
}
