import { runNumberOf } from '#shared/search'
import type { SearchResults } from '#shared/types/search'

/** Search across history: the first page of matching tests and clusters for the filters (nothing is asked for before two characters). */
export function useSearch(query: MaybeRefOrGetter<Record<string, string>>) {
  const q = computed(() => toValue(query))
  // the session cookie goes along when the page is rendered on the server
  const request = useRequestFetch()
  return useAsyncData<SearchResults | null, { message?: string }>(
    () => `search-${new URLSearchParams(q.value).toString()}`,
    () => (q.value.q ?? '').trim().length >= 2 || runNumberOf(q.value.q ?? '') !== null ? request('/api/search', { query: { ...q.value, limit: 20 } }) : Promise.resolve(null),
    { watch: [q] },
  )
}
