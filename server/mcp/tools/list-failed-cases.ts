import { listFailedResultsQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listFailedResults } from '../../services/runs'
import { defineTool } from '../define'

export const listFailedCasesTool = defineTool({
  name: 'list_failed_cases',
  title: 'Failed tests',
  description: 'A project\'s recent failed results with error and clusterId. Next: get_test_case.',
  input: projectParamsSchema
    .extend(listFailedResultsQuerySchema.shape)
    .extend({ limit: listFailedResultsQuerySchema.shape.limit.unwrap().default(8) }),
  run: (scope, { projectSlug, ...query }) => listFailedResults(scope, projectSlug, query),
})
