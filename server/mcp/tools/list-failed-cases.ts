import { listFailedResultsQuerySchema, projectParamsSchema } from '../../../shared/schemas/reads'
import { listFailedResults } from '../../services/runs'
import { defineTool } from '../define'

export const listFailedCasesTool = defineTool({
  name: 'list_failed_cases',
  title: 'List failed test cases',
  description: 'Failed results across recent runs of a project, newest first, with error head and cluster id. Next: get_test_case, get_cluster.',
  input: projectParamsSchema.extend(listFailedResultsQuerySchema.shape).extend({ limit: listFailedResultsQuerySchema.shape.limit.unwrap().default(8) }),
  run: (scope, { projectSlug, ...query }) => listFailedResults(scope, projectSlug, query),
})
