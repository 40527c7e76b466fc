/** A run compared with another (`to`: a run id; the previous run of its branch when empty). */
export function useRunComparison(runId: MaybeRefOrGetter<string>, to: MaybeRefOrGetter<string>) {
  const id = computed(() => toValue(runId))
  const query = computed(() => ({ limit: 50, ...(toValue(to) ? { to: toValue(to) } : {}) }))
  return useFetch(() => `/api/runs/${id.value}/compare`, { key: () => `compare-${id.value}-${toValue(to)}`, query })
}
