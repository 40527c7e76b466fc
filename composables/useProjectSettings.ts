import type { ProjectSettings } from '#shared/types/projects'

/** A project's settings (name, repository URL, default branch, retention): the settings page, and the repository links. */
export function useProjectSettings(projectSlug: MaybeRefOrGetter<string>, opts: { lazy?: boolean } = {}) {
  const slug = computed(() => toValue(projectSlug))
  return useFetch<ProjectSettings>(() => `/api/projects/${slug.value}/settings`, { key: () => `project-settings-${slug.value}`, ...opts })
}
