/**
 * CODEOWNERS as GitHub reads it: one rule a line (`pattern owner…`), `#` comments, and for a path the LAST rule
 * whose pattern matches wins (a rule without owners leaves the path unowned). Patterns follow gitignore's, less
 * what GitHub leaves out (`!` negation, `[ ]` ranges): a leading `/` or a `/` inside anchors the pattern at the
 * repository root, otherwise it matches at any depth; `*` and `?` stay within one path segment, `**` crosses them;
 * a pattern naming a directory owns everything below it, except that `dir/*` owns only the files directly in `dir`.
 */

export interface CodeownersRule {
  pattern: string
  owners: string[]
  matches: (path: string) => boolean
}

/** A line of a CODEOWNERS file that was not read as GitHub would read it, and why (the upload's answer lists them). */
export interface SkippedLine {
  /** 1-based. */
  line: number
  /** The line as written, cut at 200 characters. */
  text: string
  reason: string
}

/** Rules are capped: a CODEOWNERS file with more lines than this is cut here (GitHub caps the file at 3 MB). */
const MAX_RULES = 5000

/**
 * A longer pattern is skipped: it names no path a repository holds (Linux caps a path at 4,096 bytes), and a 50,000
 * character one made a regular expression V8 refuses to compile (a 500 on the upload of the file).
 */
const MAX_PATTERN = 4096

/**
 * One state of a pattern's automaton: the states it reaches without reading a character, and those it reaches by
 * reading one (`any`: every character; `segment`: every character but `/`; else only `char`). `slashTo`: where a `/`
 * also leads (out of a run of directories).
 */
interface State { eps: number[], char?: string, any?: boolean, segment?: boolean, to?: number, slashTo?: number }

/**
 * The pattern as an automaton over a repository-relative path without a leading slash, run over the path one
 * character at a time with the set of states it may be in: time grows with path length × pattern length, whatever
 * the pattern. A regular expression backtracked: `*a*a*a*a*a*a*a*a*b` against a name of forty `a`s took 57 s (on
 * the request thread, stalling every other request), and any ingest key can send a CODEOWNERS file.
 */
function compile(pattern: string): State[] {
  let p = pattern
  const anchored = p.startsWith('/') || p.slice(0, -1).includes('/')
  p = p.replace(/^\/+/, '')
  const dirOnly = p.endsWith('/')
  p = p.replace(/\/+$/, '')
  const states: State[] = []
  const add = (s: Omit<State, 'eps'> & { eps?: number[] }) => states.push({ eps: [], ...s })
  // `(?:.*/)?`: nothing, or any characters up to and including a `/`
  const directories = () => {
    const at = states.length
    add({ eps: [at + 1, at + 2] })
    add({ any: true, to: at + 1, slashTo: at + 2 })
  }
  if (!anchored) directories()
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    const at = states.length
    if (c === '*' && p[i + 1] === '*') {
      if (p[i + 2] === '/') directories()
      else add({ eps: [at + 1], any: true, to: at })
      i += p[i + 2] === '/' ? 2 : 1
    }
    else if (c === '*') add({ eps: [at + 1], segment: true, to: at })
    else if (c === '?') add({ segment: true, to: at + 1 })
    else add({ char: c, to: at + 1 })
  }
  // `dir/*` owns the files directly in dir; anything else that names a directory owns what is below it (`/.+`,
  // optional unless the pattern ends in `/`)
  if (!/(^|[^*])\*$/.test(p)) {
    const at = states.length
    if (!dirOnly) add({ eps: [at + 1, at + 4] })
    const from = states.length
    add({ char: '/', to: from + 1 })
    add({ any: true, to: from + 2 })
    add({ eps: [from + 3], any: true, to: from + 2 })
  }
  return states
}

/** Whether the automaton reaches its end (the state after the last) having read the whole path. */
function run(states: State[], path: string): boolean {
  const end = states.length
  let current = new Set<number>()
  const enter = (set: Set<number>, i: number) => {
    if (set.has(i)) return
    set.add(i)
    for (const e of states[i]?.eps ?? []) enter(set, e)
  }
  enter(current, 0)
  for (const c of path) {
    const next = new Set<number>()
    for (const i of current) {
      const s = states[i]
      if (!s || s.to === undefined) continue
      if (s.any || (s.segment && c !== '/') || s.char === c) enter(next, s.to)
      if (c === '/' && s.slashTo !== undefined) enter(next, s.slashTo)
    }
    if (!next.size) return false
    current = next
  }
  return current.has(end)
}

function escape(c: string): string {
  return /[.+^${}()|[\]\\]/.test(c) ? `\\${c}` : c
}

/**
 * The same pattern as a regular expression: about 25 times faster than the automaton on the common patterns, and
 * used only for those with at most one `*` or `**`, where it cannot backtrack by more than the path's length × its
 * slashes.
 */
function patternRegex(pattern: string): RegExp {
  let p = pattern
  const anchored = p.startsWith('/') || p.slice(0, -1).includes('/')
  p = p.replace(/^\/+/, '')
  const dirOnly = p.endsWith('/')
  p = p.replace(/\/+$/, '')
  let body = ''
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    if (c === '*' && p[i + 1] === '*') {
      const slashAfter = p[i + 2] === '/'
      body += slashAfter ? '(?:.*/)?' : '.*'
      i += slashAfter ? 2 : 1
    }
    else if (c === '*') body += '[^/]*'
    else if (c === '?') body += '[^/]'
    else body += escape(c)
  }
  const below = /(^|[^*])\*$/.test(p) ? '' : dirOnly ? '/.+' : '(?:/.+)?'
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${body}${below}$`)
}

/** The pattern as a test of a repository-relative path without a leading slash. */
export function patternMatcher(pattern: string): (path: string) => boolean {
  if ((pattern.match(/\*+/g) ?? []).length <= 1) {
    const regex = patternRegex(pattern)
    return path => regex.test(path)
  }
  return patternAutomaton(pattern)
}

/** The pattern's automaton as a test of a path (any pattern; patternMatcher uses it past one `*`). */
export function patternAutomaton(pattern: string): (path: string) => boolean {
  const states = compile(pattern)
  return path => run(states, path)
}

/** Why a pattern is not read as a rule, or null when it is one. */
function unreadPattern(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN) return `the pattern is over ${MAX_PATTERN.toLocaleString('en-US')} characters, longer than any path`
  if (pattern.startsWith('!')) return 'negation (!) is not CODEOWNERS syntax; GitHub skips the line too'
  if (pattern.includes('[')) return 'character ranges ([ ]) are not CODEOWNERS syntax; GitHub skips the line too'
  return null
}

/**
 * The rules of a CODEOWNERS file, in file order; lines that are not rules are skipped, as GitHub skips them (an owner
 * that is neither @user, @org/team nor an email makes the line invalid), and told to `skipped`.
 */
export function parseCodeowners(text: string, skipped?: (s: SkippedLine) => void): CodeownersRule[] {
  const rules: CodeownersRule[] = []
  const lines = text.split(/\r?\n/)
  const skip = (at: number, reason: string) => skipped?.({ line: at + 1, text: lines[at]!.trim().slice(0, 200), reason })
  for (let at = 0; at < lines.length; at++) {
    const line = lines[at]!.replace(/(^|\s)#.*$/, '').trim()
    if (!line) continue
    if (rules.length >= MAX_RULES) {
      skip(at, `past the first ${MAX_RULES.toLocaleString('en-US')} rules, which are all that is read`)
      continue
    }
    const [pattern, ...owners] = line.split(/\s+/)
    const unread = unreadPattern(pattern!)
    if (unread) {
      skip(at, unread)
      continue
    }
    // GitHub skips a line with invalid syntax whole: read with its other owners, it would own what GitHub leaves to the
    // rules above it, and with none left it would unown them
    const odd = owners.filter(o => !o.includes('@'))
    if (odd.length) {
      skip(at, `${odd.map(o => `"${o.slice(0, 60)}"`).join(', ')} ${odd.length === 1 ? 'is' : 'are'} not @user, @org/team or an email; GitHub skips the line too`)
      continue
    }
    // three stars or more in a row match as two do: left as they were, the run counted as one `*` and went to the
    // regular expression, which backtracked (16 stars: over 100 s on the request thread)
    const matches = patternMatcher(pattern!.replace(/^\\#/, '#').replace(/\*{3,}/g, '**'))
    rules.push({ pattern: pattern!, owners, matches })
  }
  return rules
}

/** A report's file path as a repository-relative path: backslashes as slashes, no leading `./` or `/`. */
function repoPath(file: string): string {
  return file.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '')
}

/** The owners of `file` under these rules: the last matching rule's (none when no rule matches or `file` is null). */
export function ownersOf(rules: CodeownersRule[], file: string | null): string[] {
  if (!file) return []
  const path = repoPath(file)
  for (let i = rules.length - 1; i >= 0; i--) if (rules[i]!.matches(path)) return rules[i]!.owners
  return []
}
