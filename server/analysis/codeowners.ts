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
  regex: RegExp
}

/** Rules are capped: a CODEOWNERS file with more lines than this is cut here (GitHub caps the file at 3 MB). */
const MAX_RULES = 5000

function escape(c: string): string {
  return /[.+^${}()|[\]\\]/.test(c) ? `\\${c}` : c
}

/** The pattern as a regular expression over a repository-relative path without a leading slash. */
export function patternRegex(pattern: string): RegExp {
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
  // `dir/*` owns the files directly in dir; anything else that names a directory owns what is below it
  const below = /(^|[^*])\*$/.test(p) ? '' : dirOnly ? '/.+' : '(?:/.+)?'
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${body}${below}$`)
}

/** The rules of a CODEOWNERS file, in file order; lines that are not rules are skipped. */
export function parseCodeowners(text: string): CodeownersRule[] {
  const rules: CodeownersRule[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim()
    if (!line) continue
    const [pattern, ...owners] = line.split(/\s+/)
    if (!pattern || pattern.startsWith('!') || pattern.includes('[')) continue
    rules.push({ pattern, owners: owners.filter(o => o.includes('@')), regex: patternRegex(pattern.replace(/^\\#/, '#')) })
    if (rules.length >= MAX_RULES) break
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
  for (let i = rules.length - 1; i >= 0; i--) if (rules[i]!.regex.test(path)) return rules[i]!.owners
  return []
}
