/**
 * Every run of a project over the last `days` (newest first), for trend charts. Loaded on the client after the page
 * renders so it never slows the server render.
 */
export function useRunTrends(projectSlug: MaybeRefOrGetter<string>, days = 30) {
  const slug = computed(() => toValue(projectSlug))
  return useAsyncData(() => `run-trends-${slug.value}-${days}`, () => fetchRunsSince(slug.value, days), { server: false, lazy: true })
}
