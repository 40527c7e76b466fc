/** One failure cluster: signature, sample error, affected tests, occurrences per day and the latest diagnosis summary. */
export function useCluster(clusterId: MaybeRefOrGetter<string>) {
  const id = computed(() => toValue(clusterId))
  return useFetch(() => `/api/clusters/${id.value}`, { key: () => `cluster-${id.value}` })
}
