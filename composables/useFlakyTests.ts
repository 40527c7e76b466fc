/** A page of a project's test cases ranked by flakiness score (label flaky, broken or any). */
export function useFlakyTests(
  projectSlug: MaybeRefOrGetter<string>,
  query: MaybeRefOrGetter<Record<string, string | number>>,
  opts: { key?: string, lazy?: boolean, server?: boolean } = {},
) {
  const slug = computed(() => toValue(projectSlug))
  const { key = 'flaky', ...rest } = opts
  return useFetch(() => `/api/projects/${slug.value}/flaky-tests`, { key: () => `${key}-${slug.value}`, query: computed(() => toValue(query)), ...rest })
}
