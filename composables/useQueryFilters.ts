import type { LocationQuery } from 'vue-router'

const sameQuery = (a: Record<string, string>, b: LocationQuery) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v)

/**
 * Filters kept in the URL query so a filtered view can be shared and survives a reload. Every field reads as a
 * string (empty = not set). Changing a filter drops the page cursor: the first page of the new filter is what
 * anyone expects to see. Each change is an entry of the browser's history (Back undoes it), except while typing
 * (`typing`: the text's next change replaces it, so Back does not walk back letter by letter).
 */
export function useQueryFilters<K extends string>(keys: readonly K[]) {
  const route = useRoute()
  const router = useRouter()

  const read = (q: LocationQuery, k: string) => {
    const v = q[k]
    return typeof v === 'string' ? v : ''
  }
  const filters = computed(() => Object.fromEntries(keys.map(k => [k, read(route.query, k)])) as Record<K, string>)

  /** The URL the last change made by typing led to: while the page is still there, the next one replaces it. */
  let typedTo: string | null = null
  function set(patch: Partial<Record<string, string | null>>, opts: { typing?: boolean } = {}) {
    const merged: Record<string, unknown> = { ...route.query, ...('cursor' in patch ? {} : { cursor: null }), ...patch }
    const query = Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''))
    // what the URL already says goes nowhere: vue-router would still take it for the latest navigation and cancel the
    // one on its way (Enter opening a run, cancelled by the typing pause's own change a moment later on a slow phone)
    if (sameQuery(query, route.query)) return Promise.resolve()
    // a page, Back or another filter since then made another entry: that one is kept, and this change is a new one
    const replace = opts.typing === true && typedTo === route.fullPath
    typedTo = opts.typing ? router.resolve({ query }).fullPath : null
    // the first page of the new filter: no way back through pages of the old one
    const to = { query, state: pagerTrailState([]) }
    return replace ? router.replace(to) : router.push(to)
  }

  /** A writable ref for v-model on one filter. */
  const model = (k: K) => computed({ get: () => filters.value[k], set: (v: string | null | undefined) => { set({ [k]: v ?? null }) } })

  /** The query to send to the API: unset filters left out, the page cursor included. */
  const apiQuery = computed(() => {
    const q: Record<string, string> = {}
    for (const k of keys) if (filters.value[k]) q[k] = filters.value[k]
    const cursor = read(route.query, 'cursor')
    if (cursor) q.cursor = cursor
    return q
  })

  return { filters, set, model, apiQuery, cursor: computed(() => read(route.query, 'cursor')) }
}
