/**
 * A project's runs per day and branch over the last `days`, summed by the server, for the trend charts. Loaded on
 * the client after the page renders: the charts are client-only anyway, and the server render stays short.
 */
export function useRunTrends(projectSlug: MaybeRefOrGetter<string>, days = 30) {
  const slug = computed(() => toValue(projectSlug))
  return useFetch(() => `/api/projects/${slug.value}/trends`, { key: () => `run-trends-${slug.value}-${days}`, query: { days }, server: false, lazy: true })
}
