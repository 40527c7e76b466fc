/** One run: summary, failures grouped by cluster, and a page of its results filtered by status. */
export function useRun(runId: MaybeRefOrGetter<string>, query: MaybeRefOrGetter<Record<string, string | number>>) {
  const id = computed(() => toValue(runId))
  return useFetch(() => `/api/runs/${id.value}`, { key: () => `run-${id.value}`, query: computed(() => toValue(query)) })
}
