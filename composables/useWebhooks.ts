/** A project's webhooks with their recent deliveries (never the secrets). */
export function useWebhooks(projectSlug: MaybeRefOrGetter<string>) {
  const slug = computed(() => toValue(projectSlug))
  return useFetch(() => `/api/projects/${slug.value}/webhooks`, { key: () => `webhooks-${slug.value}`, default: () => [] })
}
