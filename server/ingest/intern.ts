import type { ParsedAttempt, ParsedResult } from './types'

/*
 * Results that arrive from the parse worker are copies (structured clone): every result has its own copy of its
 * suite path, file name, properties and empty lists, and its only attempt repeats the result's output and error as
 * strings of their own. An upload holds all of its results until they are merged and stored (the merge needs the
 * whole run), so those copies are what a large upload costs in memory. The interner makes results of one upload
 * share what they repeat; nothing downstream writes into these values (the merge and the store build new ones).
 */

const EMPTY: readonly never[] = Object.freeze([])
const NO_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({})

/** An interner for the results of one upload: `share(r)` rewrites r in place to point at values seen before. */
export function resultInterner(): (r: ParsedResult) => ParsedResult {
  const strings = new Map<string, string>()
  const paths = new Map<string, string[]>()
  const properties = new Map<string, Record<string, string>>()
  const str = <T extends string | null>(s: T): T => {
    if (s == null) return s
    const seen = strings.get(s)
    if (seen !== undefined) return seen as T
    strings.set(s, s)
    return s
  }
  // Reuses the result's own string when an attempt holds an equal one (the clone made two).
  const same = (a: string | null, b: string | null) => (a !== null && a === b ? b : a)
  const attempt = (a: ParsedAttempt, r: ParsedResult) => {
    a.errorMessage = same(a.errorMessage, r.errorMessage)
    a.errorStack = same(a.errorStack, r.errorStack)
    a.stdout = same(a.stdout, r.stdout)
    a.stderr = same(a.stderr, r.stderr)
  }
  return (r) => {
    r.file = str(r.file)
    r.variant = str(r.variant)
    const key = JSON.stringify(r.suitePath)
    const path = paths.get(key)
    if (path) r.suitePath = path
    else paths.set(key, r.suitePath = r.suitePath.map(s => str(s)))
    const names = Object.keys(r.properties)
    if (!names.length) r.properties = NO_PROPERTIES as Record<string, string>
    else {
      const pkey = JSON.stringify(r.properties)
      const seen = properties.get(pkey)
      if (seen) r.properties = seen
      else properties.set(pkey, r.properties)
    }
    if (!r.steps.length) r.steps = EMPTY as never[]
    if (!r.annotations.length) r.annotations = EMPTY as never[]
    if (!r.attachments.length) r.attachments = EMPTY as never[]
    if (!r.tags.length) r.tags = EMPTY as never[]
    for (const a of r.attempts) attempt(a, r)
    return r
  }
}
