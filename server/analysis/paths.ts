/**
 * Paths in a failure, for its fingerprint (fingerprint.ts): masked in its text, where directories never matter, and a
 * stack frame's file as the repository names it where the key holds a file: a monorepo's packages/a/tests/cart.spec.ts
 * and packages/b/tests/cart.spec.ts are two files, while one file keys alike from every CI machine, whatever directory
 * it checked out in (/home/runner/work/r/r/…, /builds/g/r/…, C:\a\…).
 */

/** Test code (a test's file or a test directory's): masked whole in a message, never a crash's origin. */
export const TEST_FILE = /(?:^|[\\/])(?:__tests__|tests?|specs?|e2e|cypress)[\\/]|[._-](?:test|spec)s?\.[a-z]+$|(?:^|[\\/])test_[^\\/]*\.py$|_test\.(?:go|py|rb|exs?)$|_spec\.rb$|Tests?\.(?:java|kt|cs|scala|groovy)$|IT\.java$|\.phpt$|Test\.php$/i
const TEMP_DIR = /^(?:\/tmp\/|\/var\/folders\/|\/private\/var\/|\/var\/tmp\/|\/dev\/shm\/|[A-Za-z]:\\(?:Windows\\Temp|Users\\[^\\]+\\AppData\\Local\\Temp)\\)|[\\/](?:_?temp|tmp)[\\/]/i

/** A path: directories never matter, a stable file name does ("settings.json" vs "secrets.json"); temp and test files are masked whole. */
export function maskPath(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))
  const base = path.slice(cut + 1)
  const temp = TEMP_DIR.test(path)
  if (TEST_FILE.test(path) || TEST_FILE.test(base)) return '<path>'
  const stable = /^[A-Za-z][\w.-]*\.[A-Za-z]{1,6}$/.test(base) && !/^te?mp/i.test(base)
  return `${temp ? '<tmp>' : '<path>'}${stable ? `/${base}` : ''}`
}

/** Where the repository's part of an absolute path begins, and what a relative one is relative to (rootsOf). */
export interface Roots {
  /** The first directory of the test's file as the report gives it: the last one so named begins the repository's part. */
  top: string | null
  /** The directories holding the node_modules of library frames. */
  installs: string[]
  /**
   * The directory under the repository root that the stack's relative paths start from ('packages/admin/' for a Vitest
   * project's `❯ tests/cart.spec.ts`, whose report names `packages/admin/tests/cart.spec.ts`); '' where they start at
   * the root.
   */
  base: string
}

/** A path with forward slashes, without a leading "./" or a file URL's slash before its drive ("/C:/a" → "C:/a"). */
const slashed = (path: string) => path.replace(/\\/g, '/').replace(/^\/(?=[A-Za-z]:\/)/, '').replace(/^(?:\.\/)+/, '')
const isAbsolute = (path: string) => /^(?:\/|~\/|[A-Za-z]:\/)/.test(path)

/**
 * Where the repository's part of the stack's absolute paths begins, as far as the failure shows it: at the last
 * directory named as the first one of the test's file as the report gives it (relative: "packages" of
 * packages/a/tests/cart.spec.ts), so every test of a project cuts a frame alike, whether or not its own file is in
 * the stack; else after the directory holding a library frame's node_modules.
 * And where the stack's relative paths start (`base`): Vitest writes a frame relative to the root of its project
 * (`❯ tests/cart.spec.ts` with `test.projects`), while the report names the test's path under the repository
 * (`reportPaths`: the JUnit `file` or classname, `packages/admin/tests/cart.spec.ts`); a relative frame that is the
 * tail of one of those, at a directory boundary, shows the directories before it.
 */
export function rootsOf(frameFiles: string[], testFile: string | null, reportPaths: readonly string[] = []): Roots {
  const file = testFile ? slashed(testFile) : ''
  const top = isAbsolute(file) ? null : file.match(/^([^/]+)\//)?.[1] ?? null
  const frames = frameFiles.map(slashed)
  const installs = frames.filter(p => isAbsolute(p) && p.includes('/node_modules/'))
    .map(p => p.slice(0, p.indexOf('/node_modules/') + 1))
  return { top: top === '..' ? null : top, installs, base: baseOf(frames, reportPaths.map(slashed)) }
}

/** The directories a relative frame's path leaves out of a relative path the report names for the test. */
function baseOf(frames: string[], reportPaths: string[]): string {
  for (const frame of frames) {
    if (isAbsolute(frame) || frame.startsWith('../')) continue
    const named = reportPaths.find(p => !isAbsolute(p) && p.endsWith(`/${frame}`))
    if (named) return named.slice(0, named.length - frame.length)
    if (reportPaths.includes(frame)) return ''
  }
  return ''
}

/** `base` and a relative path joined, its `..` steps taken: Vitest writes a file above its project's root so. */
function joined(base: string, path: string): string {
  const parts: string[] = []
  for (const part of `${base}${path}`.split('/')) {
    if (part === '..' && parts.length && parts.at(-1) !== '..') parts.pop()
    else if (part !== '.') parts.push(part)
  }
  return parts.join('/')
}

/**
 * A frame's file under the repository root: a relative path from where the stack's relative paths start (Vitest's
 * frames), an absolute one cut where `roots` says; the base name where the failure does not show the root, as every
 * machine has it alike.
 */
export function repositoryPath(file: string, roots: Roots): string {
  const path = slashed(file)
  if (!isAbsolute(path)) return joined(roots.base, path)
  const top = roots.top ? path.lastIndexOf(`/${roots.top}/`) : -1
  if (top >= 0) return path.slice(top + 1)
  const install = roots.installs.find(r => path.startsWith(r))
  return install ? path.slice(install.length) : path.slice(path.lastIndexOf('/') + 1)
}
