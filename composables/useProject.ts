/** One project with its counts, latest runs, flaky-test and open-cluster counts. */
export function useProject(projectSlug: MaybeRefOrGetter<string>, opts: { lazy?: boolean, server?: boolean } = {}) {
  const slug = computed(() => toValue(projectSlug))
  return useFetch(() => `/api/projects/${slug.value}`, { key: () => `project-${slug.value}`, ...opts })
}
