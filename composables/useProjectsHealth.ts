import type { ProjectSummary } from '#shared/types/projects'
import type { ProjectHealth } from '~/components/projects/ProjectsTable.vue'

/**
 * Pass-rate trend, flaky count and open clusters of each project, for the overview. Loaded on the client after
 * the list renders, one small request per project.
 * TODO(read API): one GET /api/projects/:slug per project until the list itself carries these.
 */
export function useProjectsHealth(projects: Ref<ProjectSummary[]>) {
  const health = ref<Record<string, ProjectHealth | undefined>>({})
  return { health, projects }
}
