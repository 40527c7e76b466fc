import { rustPanicIn } from '../analysis/rust-panics'
import { CAPS, capText } from './common'

/*
 * Rust's test harness (libtest, `cargo test -- --format junit`) writes a failed test as `<failure type="assert"/>`:
 * no message, no body, whatever failed. What failed is in the testcase's <system-out>: the panic the test died of
 * (`thread 'tests::x' panicked at src/lib.rs:12:5:` and its message, the backtrace under RUST_BACKTRACE), or for a
 * doc-test that did not compile, rustc's errors. Read from there, each cause is a message and a stack of its own; as
 * "assert", every Rust failure of a project was one cluster.
 */

/** rustc's error line, which a doc-test that does not compile fails with (`error[E0308]: mismatched types`). */
const RUSTC_ERROR = /^error(?:\[E\d{4}\])?: \S/m

/**
 * The cause of a failure that says nothing of its own (no message, no body; libtest's `<failure type="assert"/>`) from
 * its test's output: the first panic (its message; the stack the output from the panic on), else rustc's first error
 * (a doc-test that did not compile: the error line, the stack the compiler's output from it on). Null when the output
 * holds neither.
 */
export function rustCauseFromOutput(output: string | null): { message: string, stack: string } | null {
  if (!output) return null
  const panic = rustPanicIn(output)
  const at = panic?.at ?? output.search(RUSTC_ERROR)
  if (at < 0) return null
  const stack = output.slice(at).trimEnd()
  const message = panic ? panic.message || stack.split('\n', 1)[0]! : stack.split('\n', 1)[0]!
  return { message: capText(message, CAPS.message)!, stack: capText(stack, CAPS.stack)! }
}
