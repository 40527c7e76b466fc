import { existsSync, readdirSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'

function globToRegExp(glob) {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*'
      i += glob[i + 2] === '/' ? 2 : 1
    }
    else if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

/**
 * Expands paths and simple globs (`*`, `**`, `?`) relative to cwd, in a stable order. Node 20 has no fs.glob.
 * @returns {{ files: string[], missing: string[] }}
 */
export function expandPatterns(patterns, cwd = process.cwd()) {
  const files = new Set()
  const missing = []
  for (const pattern of patterns) {
    if (!/[*?]/.test(pattern)) {
      if (existsSync(resolve(cwd, pattern)) && statSync(resolve(cwd, pattern)).isFile()) files.add(pattern)
      else missing.push(pattern)
      continue
    }
    const base = pattern.slice(0, pattern.search(/[*?]/)).replace(/[^/]*$/, '') || '.'
    const re = globToRegExp(pattern.replace(/^\.\//, ''))
    const found = existsSync(resolve(cwd, base))
      ? readdirSync(resolve(cwd, base), { recursive: true, withFileTypes: true })
          .filter(d => d.isFile())
          .map(d => join(d.parentPath ?? d.path, d.name))
          .map(p => isAbsolute(pattern) ? p : relative(cwd, p))
          .filter(p => re.test(p))
      : []
    if (!found.length) missing.push(pattern)
    for (const f of found.sort()) files.add(f)
  }
  return { files: [...files], missing }
}
