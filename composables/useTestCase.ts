/** One test case: flakiness with evidence, recent history, clusters and the last error. */
export function useTestCase(testCaseId: MaybeRefOrGetter<string>, history = 50) {
  const id = computed(() => toValue(testCaseId))
  return useFetch(() => `/api/test-cases/${id.value}`, { key: () => `test-case-${id.value}`, query: { history } })
}

/**
 * A page of one test case's results, newest first, on the URL's `?branch=` when set (with how that branch compares to
 * the default branch); the page's cursor is the URL's `?cursor=` (LayoutCursorPager).
 */
export function useTestHistory(testCaseId: MaybeRefOrGetter<string>, limit = 50) {
  const id = computed(() => toValue(testCaseId))
  const { apiQuery } = useQueryFilters(['branch'] as const)
  return useFetch(() => `/api/test-cases/${id.value}/history`, {
    key: () => `test-history-${id.value}-${apiQuery.value.branch ?? ''}-${apiQuery.value.cursor ?? ''}`,
    query: computed(() => ({ ...apiQuery.value, limit })),
  })
}
