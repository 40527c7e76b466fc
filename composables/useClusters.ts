/** A page of a project's failure clusters, most recently seen first, filtered by status and category. */
export function useClusters(
  projectSlug: MaybeRefOrGetter<string>,
  query: MaybeRefOrGetter<Record<string, string | number>>,
  opts: { key?: string, lazy?: boolean, server?: boolean } = {},
) {
  const slug = computed(() => toValue(projectSlug))
  const { key = 'clusters', ...rest } = opts
  return useFetch(() => `/api/projects/${slug.value}/clusters`, { key: () => `${key}-${slug.value}`, query: computed(() => toValue(query)), ...rest })
}
