/**
 * Stack frames, for a failure's fingerprint (fingerprint.ts): which lines of a stack are frames, what each names
 * (function, file, line), and which are library or runtime code and which are tests.
 */
import { TEST_FILE } from './paths'

// Line shapes of a frame
const JS_FRAME = /^(?:at |❯ )/
const BARE_LOCATION = /^[\w./\\:@~-]+\.\w{1,6}:\d+(?::\d+)?$/
const PY_LOCATION = /^(?:File "|\S+\.py:\d+:|<frozen [\w.]+>:\d+:)/
const RUBY_FRAME = /^(?:#\s*|from )?\S+\.rb:\d+:in\b/
const JVM_MORE = /^\.\.\. \d+ (?:more|common frames omitted)$/

/** Whether a line of a stack is a frame (or a JVM "... 12 more"). */
export function isFrame(t: string): boolean {
  return JS_FRAME.test(t) || PY_LOCATION.test(t) || RUBY_FRAME.test(t) || JVM_MORE.test(t) || BARE_LOCATION.test(t)
}

// Frames: which are library or runtime code, which are tests, which is the application code that threw.
const LIBRARY_FILE = /node_modules|^node:|\bnode:internal|^internal\/|^<anonymous>$|site-packages|dist-packages|\/lib\/python\d|<frozen |\/usr\/(?:local\/)?lib\/go|\/go\/src\/|\/pkg\/mod\/|\/gems\/|\/ruby\/\d|rubygems|^\/rustc\/|\/\.cargo\/registry\//
const LIBRARY_FN = /^(?:java|javax|jdk|sun|com\.sun|kotlin|kotlinx|scala|org\.junit|junit|org\.testng|org\.hamcrest|org\.opentest4j|org\.assertj|org\.mockito|org\.apache\.maven|org\.gradle|worker\.org\.gradle|org\.springframework\.test|System|Microsoft|NUnit|Xunit|runtime|testing|reflect)\.|^\(wrapper |^panic$|^new Promise$/

export interface Frame {
  fn: string
  file: string
  line: string
}

function parseFrame(raw: string): Frame | null {
  const t = raw.trim().replace(/^at\s+(?:async\s+)?/, '').replace(/^❯\s*/, '').replace(/file:\/\//, '')
  let m = t.match(/^(.*?) \((.*?):(\d+)(?::\d+)?\)$/) // V8 "fn (file:1:2)"
  if (m) return { fn: m[1]!, file: m[2]!, line: m[3]! }
  m = t.match(/^([\w$./<>@-]+)\(([^():]*):(\d+)\)$/) // JVM "pkg.Cls.m(File.java:12)"
  // Java 9+ writes the class loader and module before the class ("app//org.junit…", "java.base/java.lang…"): a class
  // name holds no '/', so the frame's function starts after the last one (Gradle's "app//org.junit" read as user code)
  if (m) return { fn: m[1]!.slice(m[1]!.lastIndexOf('/') + 1), file: m[2]!, line: m[3]! }
  m = t.match(/^([^()]+?)\s?\(.*\)(?: \[0x[0-9a-f]+\])? in (.+?)(?::line |:)(\d+)\s*$/) // .NET / Mono
  if (m) return { fn: m[1]!, file: m[2]!, line: m[3]! }
  m = t.match(/^File "([^"]+)", line (\d+), in (.+)$/) // Python traceback
  if (m) return { fn: m[3]!, file: m[1]!, line: m[2]! }
  m = t.match(/^(?:#\s*|from )?(\S+?):(\d+):in [`']([^'`]+)'$/) // Ruby
  if (m) return { fn: m[3]!, file: m[1]!, line: m[2]! }
  m = t.match(/^(\S+\.py):(\d+): in (\S+)$/) // pytest
  if (m) return { fn: m[3]!, file: m[1]!, line: m[2]! }
  m = t.match(/^(?:(.+) )?(\S+?):(\d+)(?::\d+)?$/) // bare "file:line[:col]", Vitest's "fn file:line:col"
  if (m && /\.\w{1,6}$/.test(m[2]!)) return { fn: m[1] ?? '', file: m[2]!, line: m[3]! }
  return null
}

/** Frames of the stack, Go's two-line frames included (function line, then "\t/path/file.go:12 +0x1d"). */
export function framesOf(lines: string[]): Frame[] {
  const frames: Frame[] = []
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const go = lines[i + 1]?.match(/^\t(\S+\.go):(\d+)(?: \+0x[0-9a-f]+)?$/)
    if (go && /^[\w./*()-]+\(.*\)$/.test(raw)) {
      frames.push({ fn: raw.slice(0, raw.lastIndexOf('(')), file: go[1]!, line: go[2]! })
      i++
      continue
    }
    const t = raw.trim()
    if (isFrame(t) || / in .+:line \d+$| \[0x[0-9a-f]+\] in /.test(t)) {
      const f = parseFrame(t)
      if (f) frames.push(f)
    }
  }
  return frames
}

/** A JVM frame's file (a name, no directory) and its function's package: the lower-case names before its class. */
const JVM_SOURCE = /^[\w$]+\.(?:java|kt|scala|groovy)$/
const JVM_PACKAGE = /^((?:[a-z_]\w*\.)*[a-z_]\w*)\.[A-Z$]/

/**
 * A JVM frame's file in its package's directory: the frame names its file without one (`OrderTest.java`) and its
 * class with its package (`com.acme.orders.OrderTest.countsLines`), so `com/acme/orders/OrderTest.java`. Null for
 * other frames, and for a class in the default package.
 */
export function jvmSourcePath(f: Frame): string | null {
  const pkg = JVM_SOURCE.test(f.file) ? f.fn.match(JVM_PACKAGE)?.[1] : undefined
  return pkg ? `${pkg.replace(/\./g, '/')}/${f.file}` : null
}

export const isLibrary = (f: Frame) => LIBRARY_FILE.test(f.file) || LIBRARY_FN.test(f.fn)
export const isTest = (f: Frame) => TEST_FILE.test(f.file) || /(?:Tests?|IT|Spec)\.[\w$<>]+$|(?:^|\.)Tests?\./.test(f.fn)
