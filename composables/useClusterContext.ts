/** The evidence bundle of a cluster (what agents and the diagnosis engines receive), also the source of its history. */
export function useClusterContext(clusterId: MaybeRefOrGetter<string>) {
  const id = computed(() => toValue(clusterId))
  return useFetch(() => `/api/clusters/${id.value}/context`, { key: `cluster-context-${id.value}` })
}
