import type { TestHistoryPage } from '#shared/types/reads'

/** One test case: flakiness with evidence, recent history, clusters and the last error. */
export function useTestCase(testCaseId: MaybeRefOrGetter<string>, history = 50) {
  const id = computed(() => toValue(testCaseId))
  return useFetch(() => `/api/test-cases/${id.value}`, { key: () => `test-case-${id.value}`, query: { history } })
}

/**
 * A page of one test case's results, newest first, on the URL's `?branch=` when set (with how that branch compares to
 * the default branch); the page's cursor is the URL's `?cursor=` (LayoutCursorPager). Null on the unfiltered first
 * page, which is the test case's own `history` (useTestCase; its `historyNextCursor` turns to the next page): reading
 * it again cost the test page a second read and a second copy of its 50 results in the payload.
 */
export function useTestHistory(testCaseId: MaybeRefOrGetter<string>, limit = 50) {
  const id = computed(() => toValue(testCaseId))
  const { apiQuery } = useQueryFilters(['branch'] as const)
  const request = useRequestFetch()
  return useAsyncData<TestHistoryPage | null, { message?: string }>(
    () => `test-history-${id.value}-${apiQuery.value.branch ?? ''}-${apiQuery.value.cursor ?? ''}`,
    () => apiQuery.value.branch || apiQuery.value.cursor
      ? request<TestHistoryPage>(`/api/test-cases/${id.value}/history`, { query: { ...apiQuery.value, limit } })
      : Promise.resolve(null),
  )
}
