/**
 * A Rust panic as a test's output prints it: `thread 'tests::x' panicked at src/lib.rs:12:5:`, then its message on the
 * lines below (`assertion \`left == right\` failed` with its `left:` and `right:`, `called \`Option::unwrap()\` on a
 * \`None\` value`, a panic!'s own words), then a hint or the backtrace. libtest (cargo test) writes it in a failed
 * test's <system-out> (server/ingest/libtest.ts), cargo-nextest in the failure's body, indented. Pure.
 */

/**
 * A panic's first line: the thread (a test's thread is named after the test; `<unnamed>` for one it spawned, `main` in a
 * doc-test), the thread id Rust 1.88+ adds, and where it panicked; the message follows on the lines below (Rust 1.73+).
 * Rust before 1.73 wrote the message quoted on the same line, before the place: `panicked at 'boom', src/lib.rs:3:5`.
 */
const PANIC = /^[ \t]*thread '[^'\n]*'(?: \(\d+\))? panicked at (?:(\S[^\n]*?):(\d+):(\d+):$|'([^\n]*)', (\S+):(\d+):(\d+)$)/m
/** Where a panic's message ends: the backtrace or its hint, another thread's panic, a blank line. */
const MESSAGE_END = /^\s*(?:note: |stack backtrace:$|thread '[^'\n]*'(?: \(\d+\))? panicked at )|^\s*$/
/** Lines of a panic's message read at most. */
const MESSAGE_LINES = 40

export interface RustPanic {
  /** The panic's message, all its lines (assert_eq!'s `left:` and `right:` with it), as written; '' when it has none. */
  message: string
  /** Where it panicked, as the panic names it (`src/lib.rs`), and the line. */
  file: string
  line: number
  /** Where in the text the panic's first line starts. */
  at: number
}

/** The first panic in a text (a thread the test spawned panics before the test does), or null. */
export function rustPanicIn(text: string): RustPanic | null {
  const m = PANIC.exec(text)
  if (!m) return null
  if (m[4] != null) return { message: m[4], file: m[5]!, line: Number(m[6]), at: m.index }
  const lines: string[] = []
  for (const line of text.slice(m.index + m[0].length + 1).split('\n', MESSAGE_LINES)) {
    if (MESSAGE_END.test(line)) break
    lines.push(line.trimEnd())
  }
  return { message: lines.join('\n'), file: m[1]!, line: Number(m[2]), at: m.index }
}
