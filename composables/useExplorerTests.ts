/** A page of the test explorer: a project's tests with failure rate, flakiness, p50/p95 and duration change. */
export function useExplorerTests(projectSlug: MaybeRefOrGetter<string>, query: MaybeRefOrGetter<Record<string, string | number>>) {
  const slug = computed(() => toValue(projectSlug))
  return useFetch(() => `/api/projects/${slug.value}/tests`, { key: () => `explorer-${slug.value}`, query: computed(() => toValue(query)) })
}
