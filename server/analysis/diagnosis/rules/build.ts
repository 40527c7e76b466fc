/** The rule for code that did not compile: no test of it ran, whatever the report calls the failure. */
import { anyOf, first } from '../extract'
import type { MessageRule } from '../types'

/** A Go compiler (or go vet) line, `internal/cart/cart.go:8:21: …`: a column, which a t.Error line never has. */
const GO_COMPILER_LINE = /^((?:\.{0,2}\/)?[\w.~/-]*\.go):(\d+):\d+: \S/m
/** Go's own line for a package whose test binary it could not build (go-junit-report's `[build failed]`, gotestsum's body). */
const GO_BUILD_FAILED = /^FAIL\s+(\S+) \[(?:build|setup) failed\]\s*$/m
/** tsc's diagnostic; TS5xxx and TS6xxx are tsconfig and option errors, which the test-setup rule explains. */
const TS_ERROR = /\berror TS(?![56]\d{3}:)\d{4,5}: /
const JAVAC_ERROR = /^(\S+\.java):(\d+): error: /m
const RUSTC_ERROR = /^error\[E\d{4}\]: /m

type Tool = 'go' | 'typescript' | 'java' | 'rust'

function toolOf(text: string): Tool | undefined {
  if (GO_BUILD_FAILED.test(text) || GO_COMPILER_LINE.test(text)) return 'go'
  if (TS_ERROR.test(text)) return 'typescript'
  if (RUSTC_ERROR.test(text)) return 'rust'
  return /\.java\b|cannot find symbol|COMPILATION ERROR|Compilation failed/.test(text) ? 'java' : undefined
}

/** The file:line of the first compiler error, as the compiler wrote it. */
function sourceOf(text: string): string | undefined {
  const m = first(text,
    GO_COMPILER_LINE, JAVAC_ERROR,
    /([\w./@~-]+\.[cm]?tsx?)(?::(\d+):\d+ - |\((\d+),\d+\): )error TS/,
    /^\s*--> (\S+\.rs):(\d+):\d+/m,
  )
  return m ? `${m[1]}:${m[2] ?? m[3]}` : undefined
}

/** The Go package's directory as `go vet` takes it (`./internal/cart`), from the file the compiler named. */
function goDir(file: string): string {
  const dir = file.replace(/:\d+$/, '').replace(/\/?[^/]*$/, '')
  if (!dir) return '.'
  return /^[./]/.test(dir) ? dir : `./${dir}`
}

/** The command (in backticks) that compiles what failed, its tests included, and says the errors again. */
function compileCommand(x: Record<string, string>): string {
  if (x.tool === 'go') return `\`go vet ${x.pkg ?? (x.source ? goDir(x.source) : './...')}\``
  if (x.tool === 'typescript') return '`npx tsc --noEmit`'
  if (x.tool === 'rust') return '`cargo test --no-run`'
  return '`mvn test-compile` (Gradle: `./gradlew testClasses`)'
}

export const compileError: MessageRule = {
  id: 'compile-error', category: 'build',
  patterns: [{
    strength: 0.9,
    match: anyOf('m',
      GO_BUILD_FAILED, GO_COMPILER_LINE, TS_ERROR, JAVAC_ERROR, RUSTC_ERROR,
      /\bcannot find symbol\b|\bCOMPILATION ERROR\b|\bCompilation failed\b|^error: could not compile `/,
    ),
    facts: text => ({
      tool: toolOf(text),
      pkg: first(text, GO_BUILD_FAILED, /^# (\S+)/m)?.[1],
      source: sourceOf(text),
    }),
  }],
  describe: (f) => {
    const x = f.facts
    const what = x.pkg ? `Go package ${x.pkg}` : x.source ? x.source.replace(/:\d+$/, '') : 'The code under test'
    const command = compileCommand(x)
    const where = x.source ? ` at ${x.source}` : ''
    // gotestsum writes only go test's "FAIL <package> [build failed]" line in the report: the errors are in the job's log
    const errors = x.tool === 'go' && !x.source
      ? ' The report holds no compiler output: gotestsum prints it in the job\'s log (under "=== Errors").'
      : ''
    return {
      summary: `${what} does not compile: ${f.line}`,
      rootCause: `The tests could not be built, so none of them ran: the compiler rejected the code${where}. A change broke `
        + 'the build of the code or of its tests (a type or signature that changed, a name renamed or removed, an import '
        + `left behind), and every test built with it fails the same way until it compiles.${errors}`,
      fix: `Fix the first error the compiler names${where}, then run ${command} until it is clean. Build before testing in CI `
        + `(${x.tool === 'go' ? '`go build ./...` and `go vet ./...`' : 'the compile step as its own job step'}), so a compile error `
        + 'fails there and names itself.',
      look: `Run ${command} on the failing commit and read the first error: the ones after it often follow from it.`,
      change: 'Change one thing: fix the first compiler error alone, then build again.',
      plug: 'Check the plug: the toolchain CI builds with (the go line of go.mod, the TypeScript version in the lock file, the '
        + 'JDK, rustc) and that code CI generates is generated before the build.',
    }
  },
  why: x => `The compiler's error${x.source ? ` at ${x.source}` : ''}${x.pkg ? ` in ${x.pkg}` : ''}: it did not build, so its tests never ran.`,
}
