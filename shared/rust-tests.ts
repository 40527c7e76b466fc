/**
 * How a Rust test reads in libtest's JUnit report (`cargo test -- -Z unstable-options --format junit`). Every test
 * binary writes its tests under one suite named `test` (whichever binary it is), and names each test by its module
 * path cut at its last `::`: the classname `tests::parser` and the name `unwraps` are the test cargo calls
 * `tests::parser::unwraps`. A test at the crate's root has the classname `crate`; an integration test (`tests/*.rs`)
 * the classname `integration` and its whole path as its name; a doc-test its file as the classname and `item (line
 * 14)` as its name, rustdoc's `src/lib.rs - item (line 14)`.
 */
import { likeEscaped } from './search'
import type { NamedTest } from './test-names'

/**
 * The patterns a libtest test is told by, as sources JavaScript and Postgres regular expressions read alike (ASCII
 * classes spelled out, no `.`): the flaky list sorts by the name in SQL (server/services/sort-keys.ts). `module`: a
 * unit test's classname (a module path; `crate` and `integration` read so too); `fn`: a unit or integration test's
 * name; `docFile` and `docTitle`: a doc-test's classname and name.
 */
export const LIBTEST_PATTERNS = {
  module: String.raw`^[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*$`,
  fn: String.raw`^[^ \t\r\n]+$`,
  docFile: String.raw`^[^\r\n]*[.]rs$`,
  docTitle: String.raw`^[^\r\n]+ [(]line [0-9]+[)]$`,
}
/** The suite libtest writes every test binary's tests under. */
export const LIBTEST_SUITE = 'test'

const MODULE = new RegExp(LIBTEST_PATTERNS.module)
const FN = new RegExp(LIBTEST_PATTERNS.fn)
const DOC_FILE = new RegExp(LIBTEST_PATTERNS.docFile)
const DOC_TITLE = new RegExp(LIBTEST_PATTERNS.docTitle)

export interface RustTest {
  kind: 'unit' | 'integration' | 'doc'
  /** The test's name as cargo prints it and its filter takes it: `tests::parser::unwraps`, `src/lib.rs - item (line 14)`. */
  name: string
}

/** Whether a suite path is libtest's: its suite `test`, then a module path (a classname) or a doc-test's file. */
export function isLibtestPath(suitePath: readonly string[]): boolean {
  const [root, cls] = suitePath
  return suitePath.length === 2 && root === LIBTEST_SUITE && !!cls && (MODULE.test(cls) || DOC_FILE.test(cls))
}

/** The Rust test a libtest report names (its suites `test` and its classname), or null for any other test. */
export function rustTestOf(t: NamedTest): RustTest | null {
  if (!isLibtestPath(t.suitePath)) return null
  const cls = t.suitePath[1]!
  if (MODULE.test(cls) && FN.test(t.title)) {
    if (cls === 'integration') return { kind: 'integration', name: t.title }
    return { kind: 'unit', name: cls === 'crate' ? t.title : `${cls}::${t.title}` }
  }
  return DOC_FILE.test(cls) && DOC_TITLE.test(t.title) ? { kind: 'doc', name: `${cls} - ${t.title}` } : null
}

/**
 * A LIKE pattern (backslash escapes) over a test's search text (`title suites… file`, space-separated:
 * server/services/search.ts) that holds the Rust test `text` names as the lists show it, by its module path:
 * `parser::unwrap` is a title that starts with `unwrap`, under libtest's `test`, in a module whose path ends in
 * `parser`. Null when `text` has no `::` to part it at.
 */
export function libtestLike(text: string): string | null {
  const at = text.lastIndexOf('::')
  if (at <= 0 || at + 2 >= text.length) return null
  return `${likeEscaped(text.slice(at + 2))}% ${LIBTEST_SUITE} %${likeEscaped(text.slice(0, at))} %`
}
