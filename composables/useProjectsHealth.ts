import type { ProjectSummary } from '#shared/types/projects'
import type { ProjectHealth } from '~/components/projects/ProjectsTable.vue'

const DAYS = 30

/**
 * Pass rate per day over 30 days (on the default branch when it ran, else every branch), flaky-test count and open
 * clusters of each project, for the overview. Loaded on the client once the list is on screen: two small requests
 * per project (its detail and its trend).
 */
export function useProjectsHealth(projects: Ref<ProjectSummary[]>) {
  const { data } = useAsyncData('projects-health', async () => {
    const days = lastDays(DAYS)
    const entries = await Promise.all(projects.value.map(async (p): Promise<[string, ProjectHealth]> => {
      const [detail, trend] = await Promise.all([$fetch(`/api/projects/${p.slug}`), $fetch(`/api/projects/${p.slug}/trends`, { query: { days: DAYS } })])
      const onDefault = trend.points.filter(t => t.branch === p.defaultBranch)
      const rates = dailyPassRates(onDefault.length ? onDefault : trend.points, days)
      return [p.slug, { passRates: rates.perDay, passRate: rates.overall, flaky: detail.flakyTests, openClusters: detail.openClusters }]
    }))
    return Object.fromEntries(entries) as Record<string, ProjectHealth>
  }, { server: false, lazy: true, watch: [() => projects.value.map(p => p.slug).join()] })
  const health = computed(() => data.value ?? {})
  return { health }
}
