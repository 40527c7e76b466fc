import type { ProjectSettings } from '#shared/types/projects'

/**
 * A project's settings (name, repository URL, default branch, retention), for the settings page. The run, test and
 * cluster pages need no second request for their repository links: their own records carry `repository`.
 */
export function useProjectSettings(projectSlug: MaybeRefOrGetter<string>, opts: { lazy?: boolean } = {}) {
  const slug = computed(() => toValue(projectSlug))
  const request = useRequestFetch()
  return useAsyncData<ProjectSettings | null, { message?: string }>(() => `project-settings-${slug.value}`, () => slug.value
    ? request<ProjectSettings>(`/api/projects/${encodeURIComponent(slug.value)}/settings`)
    : Promise.resolve(null), opts)
}
