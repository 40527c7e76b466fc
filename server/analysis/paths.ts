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

/** Where the repository's part of an absolute path begins (rootsOf). */
export interface Roots {
  /** The first directory of the test's file as the report gives it: the last one so named begins the repository's part. */
  top: string | null
  /** The directories holding the node_modules of library frames. */
  installs: string[]
}

/** A path with forward slashes, without a leading "./" or a file URL's slash before its drive ("/C:/a" → "C:/a"). */
const slashed = (path: string) => path.replace(/\\/g, '/').replace(/^\/(?=[A-Za-z]:\/)/, '').replace(/^(?:\.\/)+/, '')
const isAbsolute = (path: string) => /^(?:\/|~\/|[A-Za-z]:\/)/.test(path)

/**
 * Where the repository's part of the stack's absolute paths begins, as far as the failure shows it: at the last
 * directory named as the first one of the test's file as the report gives it (relative: "packages" of
 * packages/a/tests/cart.spec.ts), so every test of a project cuts a frame alike, whether or not its own file is in
 * the stack; else after the directory holding a library frame's node_modules.
 */
export function rootsOf(frameFiles: string[], testFile: string | null): Roots {
  const file = testFile ? slashed(testFile) : ''
  const top = isAbsolute(file) ? null : file.match(/^([^/]+)\//)?.[1] ?? null
  const installs = frameFiles.map(slashed).filter(p => isAbsolute(p) && p.includes('/node_modules/'))
    .map(p => p.slice(0, p.indexOf('/node_modules/') + 1))
  return { top: top === '..' ? null : top, installs }
}

/**
 * A frame's file under the repository root: a relative path as written (Vitest's frames), an absolute one cut where
 * `roots` says; the base name where the failure does not show the root, as every machine has it alike.
 */
export function repositoryPath(file: string, roots: Roots): string {
  const path = slashed(file)
  if (!isAbsolute(path)) return path
  const top = roots.top ? path.lastIndexOf(`/${roots.top}/`) : -1
  if (top >= 0) return path.slice(top + 1)
  const install = roots.installs.find(r => path.startsWith(r))
  return install ? path.slice(install.length) : path.slice(path.lastIndexOf('/') + 1)
}
