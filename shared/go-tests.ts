/**
 * How a Go test reads in a JUnit report. Neither Go reporter writes a file: go-junit-report's classname and gotestsum's
 * suite name are the test's package import path (`example.com/shop/internal/cart`), and a package that failed as a whole
 * is one testcase: go-junit-report's `[build failed]` (or `Failure`, a TestMain that exited), gotestsum's `TestMain`.
 */
import type { NamedTest } from './test-names'

/** A go test function's name, with its subtests after `/`. */
const GO_TEST = /^(?:Test|Benchmark|Example|Fuzz)\w*(?:\/.+)?$/
/** What the reporters name a package that failed as a whole (it did not build, or its TestMain exited). */
export const GO_PACKAGE_FAILED = /^(?:TestMain|\[build failed\]|Failure)$/
/** A Go import path: no JVM class (a capitalised, dotted name). */
const GO_PACKAGE = /^(?:[\w.~-]+\/)+[\w.~-]+$|^[a-z][\w-]*$/

/** The Go package of a test its report names no file for: its last suite, beside a Go test's name; else null. */
export function goPackageOf(t: NamedTest): string | null {
  const last = t.suitePath[t.suitePath.length - 1]
  return last && GO_PACKAGE.test(last) && (GO_TEST.test(t.title) || GO_PACKAGE_FAILED.test(t.title)) ? last : null
}
