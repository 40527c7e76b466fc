import { listFailedResultsQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listFailedResults } from '../../services/runs'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'
import { resultRow } from '../project'

export const listFailedCasesTool = defineTool({
  name: 'list_failed_cases',
  title: 'Failed tests',
  description: 'A project\'s recent failed results: ids, status, error line; query: in name, file, error or cause. '
    + 'Next: get_test_case, get_cluster.',
  input: projectParamsSchema
    .extend(listFailedResultsQuerySchema.shape)
    .extend({ limit: listFailedResultsQuerySchema.shape.limit.unwrap().default(8) }),
  output: OUTPUTS.list_failed_cases,
  shorten: 'limit',
  run: async (scope, { projectSlug, ...query }) => {
    const page = await listFailedResults(scope, projectSlug, query)
    return { ...page, items: page.items.map(resultRow) }
  },
})
