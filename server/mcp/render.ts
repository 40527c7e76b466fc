/**
 * Compact JSON for a model, under a hard cap. Pure: the endpoint asks a tool again with a smaller limit when an answer
 * does not fit, so a shortened list keeps the cursor its service computes.
 */

/** About 8k tokens: the hard cap of one tool result. */
const MAX_RESULT_CHARS = 30_000
/** Longer strings are cut (get_test_case's at MAX_TEST_CASE_STRING_CHARS); the marker says so, and where more is. */
const MAX_STRING_CHARS = 4_000
/** Room kept for the cursor and the note a shortened page carries. */
const NOTE_ROOM = 400

/**
 * Longer strings of get_test_case are cut here: its lastError is the test's typical error, whole up to this. Its
 * message and stack (which often repeats the message) both fit under the answer's cap with the rest of the answer
 * (at 16,000 each, a long error made the whole answer a cut string).
 */
const MAX_TEST_CASE_STRING_CHARS = 10_000

/** get_test_case's fields kept when null (the contract says it has them, or null): a model reads a missing key as unknown. */
const KEPT_NULLS = new Set(['failingSince', 'lastPassed'])

/** Fields that hold a failure's text (message, stack, a cluster's sample), which another tool shows at more length. */
const ERROR_FIELD = /message|stack|error/i

/**
 * What a string cut for length says: where more of it is, for an error's text (get_test_case's typical error, kept to
 * 10,000 characters; stored messages and stacks can be longer, so no tool is said to have them whole), and only that it
 * was cut for anything else (a title, a file).
 */
function cutMarker(tool: string, key: string | undefined): string {
  const cap = (tool === 'get_test_case' ? MAX_TEST_CASE_STRING_CHARS : MAX_STRING_CHARS).toLocaleString('en-US')
  if (tool === 'get_test_case' || !key || !ERROR_FIELD.test(key)) return ` [truncated at ${cap} characters]`
  const more = MAX_TEST_CASE_STRING_CHARS.toLocaleString('en-US')
  return tool.startsWith('get_cluster')
    ? ` [truncated at ${cap} characters: get_test_case of an affected test shows its error up to ${more}]`
    : ` [truncated at ${cap} characters: get_test_case shows the test's error up to ${more}]`
}

/** Where more of an error the services clipped (`errorTruncated`) is, per tool. */
const clippedErrorMarker = (tool: string) => ` [truncated: ${tool === 'get_test_case'
  ? 'lastError has the typical error'
  : `get_test_case shows the test's error up to ${MAX_TEST_CASE_STRING_CHARS.toLocaleString('en-US')} characters`}]`

/**
 * Nulls, empty strings and empty arrays/objects omitted (a list's `items` stays, even empty), very long strings cut,
 * and a clipped error message (`errorTruncated`) ends with a marker naming where more of it is.
 */
function compact(value: unknown, tool: string, top = true, key?: string): unknown {
  if (value === null || value === undefined || value === '') return undefined
  if (typeof value === 'string') {
    // the context bundle has its own token budget and is returned whole
    const cap = tool === 'get_test_case' ? MAX_TEST_CASE_STRING_CHARS : MAX_STRING_CHARS
    if (value.length <= cap || tool === 'get_cluster_context') return value
    return `${value.slice(0, cap)}…${cutMarker(tool, key)}`
  }
  if (Array.isArray(value)) {
    const items = value.map(v => compact(v, tool, false, key)).filter(v => v !== undefined)
    return items.length ? items : undefined
  }
  if (typeof value === 'object') {
    const { errorTruncated, ...fields } = value as Record<string, unknown>
    if (errorTruncated === true && typeof fields.errorMessage === 'string') fields.errorMessage += clippedErrorMarker(tool)
    else if (errorTruncated !== undefined) fields.errorTruncated = errorTruncated
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(fields)) {
      const c = compact(v, tool, false, k)
      if (c !== undefined) out[k] = c
      else if (k === 'items' && Array.isArray(v)) out[k] = []
      else if (v === null && KEPT_NULLS.has(k) && tool === 'get_test_case' && top) out[k] = null
    }
    return Object.keys(out).length ? out : undefined
  }
  return value
}

type Answer = Record<string, unknown>

/** The list an answer's size depends on: a page's items, get_run's results, get_test_case's history. */
function listOf(value: Answer): { holder: Answer, key: string } | null {
  if (Array.isArray(value.items)) return { holder: value, key: 'items' }
  const results = value.results as Answer | undefined
  if (Array.isArray(results?.items)) return { holder: results, key: 'items' }
  if (Array.isArray(value.history)) return { holder: value, key: 'history' }
  return null
}

/**
 * A run's failure groups are not a page (no cursor: list_clusters pages every cause), so a run of very many causes
 * keeps its biggest ones within half the cap, leaving the other half to the result rows, and says so.
 */
function fitGroups(value: Answer): void {
  const groups = value.failureGroups
  if (!Array.isArray(groups) || JSON.stringify(groups).length <= MAX_RESULT_CHARS / 2) return
  let size = 2
  let kept = 0
  while (kept < groups.length && (size += JSON.stringify(groups[kept]).length + 1) <= MAX_RESULT_CHARS / 2) kept++
  value.failureGroups = groups.slice(0, Math.max(1, kept))
  value.failureGroupsTruncated = `${Math.max(1, kept)} of ${groups.length} causes, biggest first, to stay under ~8k tokens: `
    + 'list_clusters has them all'
}

/** `json` is `structured` as JSON (the text itself, but for an answer cut at the cap), so it is written once. */
type Rendered = { text: string, structured: Answer, json: string } | { fit: number }

/**
 * The answer as text and as the structured object it spells. Over the cap, a list answer that may be shortened says how
 * many of its rows fit (`fit`); anything else is cut with a marker. `shortenedFrom` is the row count asked first, when
 * this answer is the shortened one: its list then says why it stopped early.
 */
export function render(result: unknown, tool: string, opts: { canShorten: boolean, shortenedFrom?: number }): Rendered {
  const value = (compact(result, tool) ?? {}) as Answer
  fitGroups(value)
  const list = listOf(value)
  if (list && opts.shortenedFrom) {
    const rows = (list.holder[list.key] as unknown[]).length
    const more = list.key === 'items' ? '; nextCursor continues' : list.key === 'history' ? '; historyNextCursor continues' : ''
    list.holder.truncated = `${rows} rows, not ${opts.shortenedFrom}, to stay under ~8k tokens${more}`
  }
  const text = JSON.stringify(value)
  if (text.length <= MAX_RESULT_CHARS) return { text, structured: value, json: text }
  const rows = list ? list.holder[list.key] as unknown[] : []
  if (list && opts.canShorten && rows.length > 1) {
    let size = text.length - rows.reduce<number>((n, r) => n + JSON.stringify(r).length + 1, 0) + NOTE_ROOM
    let fit = 0
    while (fit < rows.length - 1 && (size += JSON.stringify(rows[fit]).length + 1) <= MAX_RESULT_CHARS) fit++
    return { fit: Math.max(1, fit) }
  }
  const cut = `${text.slice(0, MAX_RESULT_CHARS)}… [cut at ~8k tokens: call ${tool} with narrower arguments]`
  const structured = { truncated: cut }
  return { text: cut, structured, json: JSON.stringify(structured) }
}
