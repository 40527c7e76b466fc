/** The evidence bundle of a cluster: exactly what agents (get_cluster_context) and the diagnosis engines receive. */
export function useClusterContext(clusterId: MaybeRefOrGetter<string>, opts: { lazy?: boolean, server?: boolean } = {}) {
  const id = computed(() => toValue(clusterId))
  return useFetch(() => `/api/clusters/${id.value}/context`, { key: () => `cluster-context-${id.value}`, ...opts })
}
