import type { ParsedAttempt, ParsedResult } from './types'

/*
 * Results that arrive from the parse worker are copies (structured clone): every result has its own copy of its
 * suite path, file name, properties and empty lists, and its only attempt repeats the result's output and error as
 * strings of their own. An upload holds all of its results until they are merged and stored (the merge needs the
 * whole run), so those copies are what a large upload costs in memory. The interner makes results of one upload
 * share what they repeat, and holds each as an object literal (about 470 instead of 770 bytes a result for a
 * typical JUnit testcase). Nothing downstream writes into these values (the merge and the store build new ones).
 */

const EMPTY: readonly never[] = Object.freeze([])
const NO_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({})

const same = (a: string | null, b: string | null) => (a !== null && a === b ? b : a)

/** An attempt as a fresh object literal: a clone's objects keep their fields out of line, a literal holds them inline. */
const attemptOf = (a: ParsedAttempt, r: ParsedResult): ParsedAttempt => ({
  status: a.status,
  durationMs: a.durationMs,
  // the result's own string where the attempt holds an equal one (the clone made two)
  errorMessage: same(a.errorMessage, r.errorMessage),
  errorStack: same(a.errorStack, r.errorStack),
  startedAt: a.startedAt,
  stdout: same(a.stdout, r.stdout),
  stderr: same(a.stderr, r.stderr),
})

/**
 * An interner for the results of one upload: `share(r)` returns r as a compact object literal whose suite path,
 * file, variant, properties and empty lists are those of earlier results where they are equal.
 */
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
  const pathOf = (suitePath: string[]) => {
    const key = JSON.stringify(suitePath)
    let path = paths.get(key)
    if (!path) paths.set(key, path = suitePath.map(s => str(s)))
    return path
  }
  const propertiesOf = (p: Record<string, string>) => {
    if (!Object.keys(p).length) return NO_PROPERTIES as Record<string, string>
    const key = JSON.stringify(p)
    let seen = properties.get(key)
    if (!seen) properties.set(key, seen = p)
    return seen
  }
  const list = <T>(l: T[]): T[] => (l.length ? l : EMPTY as never[])
  return r => ({
    file: str(r.file),
    line: r.line,
    suitePath: pathOf(r.suitePath),
    title: r.title,
    variant: str(r.variant),
    status: r.status,
    flaky: r.flaky,
    durationMs: r.durationMs,
    attempts: r.attempts.map(a => attemptOf(a, r)),
    errorMessage: r.errorMessage,
    errorStack: r.errorStack,
    stdout: r.stdout,
    stderr: r.stderr,
    steps: list(r.steps),
    annotations: list(r.annotations),
    attachments: list(r.attachments),
    tags: list(r.tags),
    properties: propertiesOf(r.properties),
  })
}
