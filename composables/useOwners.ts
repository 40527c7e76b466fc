/** Every owner of a project's tests (from its CODEOWNERS), for the owner filters; loaded after the page renders. */
export function useOwners(projectSlug: MaybeRefOrGetter<string>) {
  const slug = computed(() => toValue(projectSlug))
  return useFetch(() => `/api/projects/${slug.value}/owners`, { key: () => `owners-${slug.value}`, server: false, lazy: true })
}
