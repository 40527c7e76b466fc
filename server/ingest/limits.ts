import { ReportParseError, type ParsedResult, type ParsedStep } from './types'

/*
 * What a report may ask of the server: how deep it nests and what the parser drops on the way. Every limit sits far
 * above what real reports do (the corpus: JSON 16 levels deep, names of at most ~300 bytes) and far below what would
 * make one parse hold the event loop or one stored row reach megabytes.
 */

/** Suites inside suites and steps inside steps: deeper suites refuse the report, deeper steps are dropped. */
export const MAX_NESTING = 64
/** Levels of JSON/XML nesting a document may have at all (a step level is two JSON levels: array and object). */
export const MAX_DOCUMENT_DEPTH = 256

/** Per-field caps, in UTF-8 bytes, for the names a report gives (messages and output are capped in CAPS). */
export const FIELD_CAPS = {
  title: 4 * 1024,
  suite: 1024,
  file: 2 * 1024,
  variant: 1024,
  key: 256,
  tag: 256,
  step: 1024,
  type: 256,
  tool: 256,
} as const

/** Items one result may carry: far above real reports (a long e2e test has a few hundred steps), bounded per row. */
const LIST_CAPS = { steps: 2000, annotations: 100, attachments: 200, tags: 100, properties: 200 } as const

/** The first `budget.left` steps of a tree in document order. */
function takeSteps(steps: ParsedStep[], budget: { left: number }): ParsedStep[] {
  const out: ParsedStep[] = []
  for (const s of steps) {
    if (budget.left <= 0) break
    budget.left--
    out.push(s.steps ? { ...s, steps: takeSteps(s.steps, budget) } : s)
  }
  return out
}

const countSteps = (steps: ParsedStep[]): number => steps.reduce((n, s) => n + 1 + (s.steps ? countSteps(s.steps) : 0), 0)

/** A result's lists cut at LIST_CAPS, each cut noted once per kind for the receipt. */
export function boundLists(r: ParsedResult): ParsedResult {
  const cut = (kind: keyof typeof LIST_CAPS, n: number) => note(kind, `results with more than ${LIST_CAPS[kind]} ${kind} kept their first ${LIST_CAPS[kind]} (one had ${n})`)
  const steps = countSteps(r.steps)
  if (steps > LIST_CAPS.steps) {
    cut('steps', steps)
    r = { ...r, steps: takeSteps(r.steps, { left: LIST_CAPS.steps }) }
  }
  for (const kind of ['annotations', 'attachments', 'tags'] as const) {
    if (r[kind].length > LIST_CAPS[kind]) {
      cut(kind, r[kind].length)
      r = { ...r, [kind]: r[kind].slice(0, LIST_CAPS[kind]) }
    }
  }
  const keys = Object.keys(r.properties)
  if (keys.length > LIST_CAPS.properties) {
    cut('properties', keys.length)
    r = { ...r, properties: Object.fromEntries(keys.slice(0, LIST_CAPS.properties).map(k => [k, r.properties[k]!])) }
  }
  return r
}

/** Something the parser left out of the run (an impossible date), said once per kind on the receipt. */
export interface ReportNote { item: string, reason: string }

/*
 * Parsing is synchronous, so the notes of the parse in progress can live in one module slot, set and restored
 * around it: the date helpers deep in every parser report here without threading a collector through all of them.
 */
let current: Map<string, { reason: string, count: number }> | null = null

/** Records that a value was dropped; repeated notes of one item are counted, not repeated. */
export function note(item: string, reason: string): void {
  if (!current) return
  const seen = current.get(item)
  if (seen) seen.count++
  else current.set(item, { reason, count: 1 })
}

/** Runs a parse and returns its result with the notes it made. */
export function withNotes<T>(parse: () => T): { value: T, notes: ReportNote[] } {
  const outer = current
  current = new Map()
  try {
    const value = parse()
    const notes = [...current].map(([item, { reason, count }]) => ({ item, reason: count > 1 ? `${reason} (${count} times)` : reason }))
    return { value, notes }
  }
  finally {
    current = outer
  }
}

/**
 * The deepest nesting of a JSON text, counted in one linear pass (strings skipped). Refuses a document deeper than
 * `limit` before JSON.parse and the recursive code after it (zod, JSON.stringify) ever see it.
 */
export function assertJsonDepth(text: string, what: string, limit = MAX_DOCUMENT_DEPTH): void {
  let depth = 0
  let max = 0
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i)
        if (d === 92 /* \ */) i++
        else if (d === 34) break
      }
    }
    else if (c === 123 || c === 91) {
      if (++depth > max) max = depth
    }
    else if (c === 125 || c === 93) depth--
  }
  if (max > limit) {
    throw new ReportParseError(`This ${what} nests ${max.toLocaleString('en-US')} levels deep; reports are read to at most ${limit} levels (real ones stay under 20), so it was refused.`, { code: 'too_deep' })
  }
}

/** Refuses a suite path deeper than MAX_NESTING, naming the depth and where it starts. */
export function assertSuiteDepth(depth: number, what: string, path: readonly string[]): void {
  if (depth <= MAX_NESTING) return
  const head = path.slice(0, 3).map(s => JSON.stringify(s.slice(0, 40))).join(' › ')
  throw new ReportParseError(`This ${what} nests suites ${depth} levels deep (${head} › …); Proofdeck reads at most ${MAX_NESTING} levels of suites, so it was refused.`, { code: 'too_deep' })
}
