import { pageQuerySchema } from '#shared/schemas/reads'
import type { ProjectOverview } from '#shared/types/reads'
import { listOf, pageOfList } from '../../services/pagination'
import { listProjects } from '../../services/projects'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'

/** The dashboard's per-day sparkline stays out of MCP answers: 30 numbers per project, and passRate says it in one. */
export const withoutSparkline = <P extends ProjectOverview>({ passRates: _, ...project }: P): Omit<P, 'passRates'> => project

export const listProjectsTool = defineTool({
  name: 'list_projects',
  title: 'Projects',
  description: 'Start here: projects you can read, with latest run; slug is the projectSlug.',
  input: pageQuerySchema,
  output: OUTPUTS.list_projects,
  shorten: 'limit',
  run: async (scope, query) => pageOfList((await listProjects(scope)).map(withoutSparkline), query, p => [p.slug, p.id], listOf('projects')),
})
