/** One test case: flakiness with evidence, recent history, clusters and the last error. */
export function useTestCase(testCaseId: MaybeRefOrGetter<string>, history = 50) {
  const id = computed(() => toValue(testCaseId))
  return useFetch(() => `/api/test-cases/${id.value}`, { key: () => `test-case-${id.value}`, query: { history } })
}
