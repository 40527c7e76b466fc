import { links } from '#shared/links'
import { uuidInText } from '#shared/uuid'

/**
 * The part of an id a person can tell apart: uuidv7 ids made in one upload share their time prefix, so the first
 * eight digits repeat; the last eight (random) do not.
 */
export function shortId(id: string): string {
  const hex = id.replace(/-/g, '')
  return hex.length > 8 ? hex.slice(-8) : id
}

export type ProseSegment
  = | { kind: 'text', text: string }
    | { kind: 'code', text: string }
    | { kind: 'link', text: string, to: string, id: string }

/** Ids the diagnosis is known to cite, and the run each cited result belongs to. */
export interface ProseIds {
  runs?: string[]
  /** A run's number by id: its link says "#50", as the pages do. */
  runNumbers?: Record<string, number>
  /** result id → its run id: a result opens its run's page. */
  results?: Record<string, string>
  clusters?: string[]
  testCases?: string[]
}

/** How a run a diagnosis cites reads: its number when known ("#50", as the pages say), else its id's distinguishing part. */
export function runLabel(id: string, runNumbers: Record<string, number> | undefined): string {
  const number = runNumbers?.[id]
  return number ? `#${number}` : shortId(id)
}

/** Text kept as written (a quote), but each run it names by id and whose number is known named by its number. */
export function withRunNumbers(text: string, runNumbers: Record<string, number> | undefined): string {
  if (!runNumbers) return text
  return text.replace(uuidInText(), id => runNumbers[id.toLowerCase()] ? `#${runNumbers[id.toLowerCase()]}` : id)
}

/** The page an id opens: by what the diagnosis cites, else by the word before it ("run …", "cluster …", "test case …"). */
function pageOf(id: string, before: string, ids: ProseIds): string | null {
  if (ids.runs?.includes(id) || ids.runNumbers?.[id]) return links.run(id)
  if (ids.results?.[id]) return links.run(ids.results[id])
  if (ids.clusters?.includes(id)) return links.cluster(id)
  if (ids.testCases?.includes(id)) return links.testCase(id)
  const word = before.match(/(run|cluster|test(?: case)?)\s*[:#(]?\s*$/i)?.[1]?.toLowerCase()
  if (word === 'run') return links.run(id)
  if (word === 'cluster') return links.cluster(id)
  return word ? links.testCase(id) : null
}

function linkIds(text: string, ids: ProseIds): ProseSegment[] {
  const out: ProseSegment[] = []
  let at = 0
  for (const m of text.matchAll(uuidInText())) {
    const id = m[0].toLowerCase()
    const to = pageOf(id, text.slice(Math.max(0, m.index - 12), m.index), ids)
    if (!to) continue
    if (m.index > at) out.push({ kind: 'text', text: text.slice(at, m.index) })
    out.push({ kind: 'link', text: runLabel(id, ids.runNumbers), to, id })
    at = m.index + m[0].length
  }
  if (at < text.length) out.push({ kind: 'text', text: text.slice(at) })
  return out
}

/**
 * Diagnosis prose as the card shows it: `backticks` become inline code (an unmatched one stays as it is), and ids
 * of runs, results, clusters and test cases become links to their pages, shown by their distinguishing part.
 */
export function proseSegments(text: string, ids: ProseIds = {}): ProseSegment[] {
  const out: ProseSegment[] = []
  const parts = text.split(/`([^`\n]+)`/)
  parts.forEach((part, i) => {
    if (i % 2 === 1) out.push({ kind: 'code', text: part })
    else if (part) out.push(...linkIds(part, ids))
  })
  return out
}
