/** A page of a project's runs, newest first, with the filters of the runs table (branch, status, since, until, cursor). */
export function useRuns(projectSlug: MaybeRefOrGetter<string>, query: MaybeRefOrGetter<Record<string, string | number>>) {
  const slug = computed(() => toValue(projectSlug))
  return useFetch(() => `/api/projects/${slug.value}/runs`, { key: () => `runs-${slug.value}`, query: computed(() => toValue(query)) })
}
