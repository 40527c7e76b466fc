import type { ProjectSettings } from '#shared/types/projects'

/**
 * A project's settings (name, repository URL, default branch, retention): the settings page, and the repository links
 * of the run, test and cluster pages, which know their project only once their own record has loaded (until then the
 * slug is '' and nothing is asked).
 */
export function useProjectSettings(projectSlug: MaybeRefOrGetter<string>, opts: { lazy?: boolean } = {}) {
  const slug = computed(() => toValue(projectSlug))
  const request = useRequestFetch()
  return useAsyncData<ProjectSettings | null, { message?: string }>(() => `project-settings-${slug.value}`, () => slug.value
    ? request<ProjectSettings>(`/api/projects/${encodeURIComponent(slug.value)}/settings`)
    : Promise.resolve(null), opts)
}
