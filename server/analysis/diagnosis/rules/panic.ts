/**
 * The rule for a Rust test that panicked (`thread 'tests::x' panicked at src/lib.rs:12:5:` and its message). assert_eq!
 * and assert! without a message are the assertion rule's (./code.ts); what is left is an unwrap or expect on None or
 * Err, an index or slice out of bounds, arithmetic that overflowed, or an explicit panic!, which an assert! with a
 * message also is (Rust prints only the message).
 */
import { anyOf, clip } from '../extract'
import type { MessageRule } from '../types'

/** A panic's first line: the thread, the id Rust 1.88+ adds, where it panicked (its message on the lines below). */
const PANIC_LINE = /^\s*thread '([^'\n]*)'(?: \(\d+\))? panicked at (?:'([^\n]*)', )?(\S[^\n]*?:\d+:\d+):?$/m

const UNWRAP = /called `(Option|Result)::(unwrap|expect|unwrap_err|expect_err)\(\)` on an? `(None|Err|Ok)` value(?:: ([^\n]+))?/
const OUT_OF_BOUNDS = /\bindex out of bounds: the len is \d+ but the index is \d+|\brange (?:start|end) index \d+ out of range for slice of length \d+|\bslice index starts at \d+ but ends at \d+|\bbyte index \d+ is (?:out of bounds of|not a char boundary)/
const OVERFLOW = /\battempt to (?:add|subtract|multiply|divide|negate|shift left|shift right|calculate the remainder) (?:with (?:an? )?(?:overflow|divisor of zero)|by zero)/

type Kind = 'unwrap' | 'bounds' | 'overflow' | 'panic'

/** What a panic's text says: which kind, where (as the panic names it), its message, an unwrapped Err's value. */
function panicFacts(text: string, kind: Kind): Record<string, string | undefined> {
  const at = PANIC_LINE.exec(text)
  const unwrap = kind === 'unwrap' ? UNWRAP.exec(text) : null
  const said = kind === 'bounds' ? OUT_OF_BOUNDS.exec(text)?.[0] : kind === 'overflow' ? OVERFLOW.exec(text)?.[0] : undefined
  // Rust before 1.73 quoted the message on the panic's line; since, it is on the line below
  const message = at ? at[2] ?? text.slice(at.index + at[0].length).trimStart().split('\n', 1)[0] : undefined
  return {
    kind,
    at: at?.[3],
    thread: at?.[1],
    // `Option::unwrap()` on `None`, `Result::expect()` on `Err`
    unwrapped: unwrap ? `\`${unwrap[1]}::${unwrap[2]}()\` on \`${unwrap[3]}\`` : undefined,
    error: clip(unwrap?.[4], 160),
    detail: clip(said ?? message, 160),
  }
}

type Facts = Record<string, string>

const UNWRAPPED_NONE = 'The code called `unwrap()` or `expect()` on an `Option` that was `None`: a value it took for granted was '
  + 'missing (a lookup that found nothing, a parse that failed, an empty collection).'
const unwrappedErr = (error: string | undefined) => `The code called \`unwrap()\` or \`expect()\` on a \`Result\` that was \`Err\``
  + `${error ? ` (${error})` : ''}: an operation it took for granted failed, and the error ended the test instead of being handled.`

/** What the diagnosis says of each kind of panic. */
const KIND_TEXT: Record<Kind, { summary: (x: Facts) => string, rootCause: (x: Facts) => string, fix: string, look: string }> = {
  unwrap: {
    summary: x => `Panicked: called ${x.unwrapped ?? '`unwrap()`'}${x.error ? ` (${x.error})` : ''}`,
    rootCause: x => x.unwrapped?.includes('`None`') ? UNWRAPPED_NONE : unwrappedErr(x.error),
    fix: 'Make the value exist (fix what should have produced it), or handle its absence where it is unwrapped: `match`, '
      + '`?`, `ok_or`, `unwrap_or`; in a test, `expect("…")` says what was missing.',
    look: 'Print what produced the value just before the unwrap, and run the test with `RUST_BACKTRACE=1` to see who called it.',
  },
  bounds: {
    summary: x => `Panicked: ${x.detail ?? 'index out of bounds'}`,
    rootCause: x => `The code indexed past the end of a slice, \`Vec\` or string (${x.detail ?? 'index out of bounds'}): `
      + 'a collection shorter than it assumed, or an index computed one too far.',
    fix: 'Check the length before indexing (or use `.get(i)` and handle `None`), or fix what made the collection shorter than expected.',
    look: 'Print the collection\'s length and the index just before the access, and what filled the collection.',
  },
  overflow: {
    summary: x => `Panicked: ${x.detail ?? 'arithmetic overflow'}`,
    rootCause: x => `Arithmetic overflowed or divided by zero (${x.detail ?? 'overflow'}), which debug builds (cargo test's) check: `
      + 'a value out of the range its type holds, often a subtraction below zero on an unsigned integer.',
    fix: 'Use checked_*/saturating_* arithmetic or a wider type where the range is real, or fix the input that went out of range.',
    look: 'Print the operands just before the operation, and the inputs that produced them.',
  },
  panic: {
    summary: x => `Panicked: ${x.detail ?? 'explicit panic'}`,
    rootCause: x => `The test panicked with "${x.detail ?? 'explicit panic'}": a \`panic!\` in the code under test, an \`assert!(…, "…")\` `
      + 'whose condition was false (Rust prints only its message), or an `Option::expect` on `None`.',
    fix: 'Read the line the panic names: an assert! whose condition is now false (decide whether the condition or the code is '
      + 'right), or the input that reached a panic! or expect.',
    look: 'Read the line the panic names, and print the values its condition reads; `RUST_BACKTRACE=1` shows how it was reached.',
  },
}

export const panic: MessageRule = {
  id: 'panic', category: 'crash',
  patterns: [
    { strength: 0.75, match: UNWRAP, facts: text => panicFacts(text, 'unwrap') },
    { strength: 0.75, match: OUT_OF_BOUNDS, facts: text => panicFacts(text, 'bounds') },
    { strength: 0.7, match: OVERFLOW, facts: text => panicFacts(text, 'overflow') },
    {
      // any other panic: its message line, the one below where it panicked (before Rust 1.73, the panic's own line)
      strength: 0.55, pass: 'broad',
      match: anyOf('m', /(?<=^\s*thread '[^'\n]*'(?: \(\d+\))? panicked at [^\n]*:\n)\s*\S[^\n]*/, /^\s*thread '[^'\n]*' panicked at '[^\n]*', \S+:\d+:\d+$/),
      facts: text => panicFacts(text, 'panic'),
    },
  ],
  describe: (f, ctx) => {
    const x = f.facts
    const text = KIND_TEXT[(x.kind as Kind | undefined) ?? 'panic']
    const where = x.at ?? ctx.cluster.location
    return {
      summary: `${text.summary(x)}${where ? ` at ${where}` : ''}`,
      rootCause: `${text.rootCause(x)}${where ? ` It panicked at ${where}.` : ''}`,
      fix: text.fix,
      look: text.look,
      change: 'Change one thing: fix or guard that one line and re-run the test.',
      plug: 'Check the plug: the fixtures, files and environment variables the test reads exist on the runner as they do locally.',
    }
  },
  why: x => x.at ? `Where the test panicked (${x.at}) and why.` : 'Why the test panicked.',
}
