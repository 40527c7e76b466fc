import type { QuarantineList } from '#shared/types/quarantine'

/** A project's quarantined tests (those that apply now), with the ones proposed for release. */
export function useQuarantine(projectSlug: MaybeRefOrGetter<string>, opts: { lazy?: boolean } = {}) {
  const slug = computed(() => toValue(projectSlug))
  return useFetch<QuarantineList>(() => `/api/projects/${slug.value}/quarantine`, { key: () => `quarantine-${slug.value}`, ...opts })
}
