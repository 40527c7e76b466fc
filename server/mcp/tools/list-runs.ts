import { listRunsQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listRuns } from '../../services/runs'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'

export const listRunsTool = defineTool({
  name: 'list_runs',
  title: 'Runs',
  description: 'A project\'s CI runs; since/until: an ISO day (UTC) or time. Next: get_run.',
  input: projectParamsSchema.extend(listRunsQuerySchema.shape).extend({ limit: listRunsQuerySchema.shape.limit.unwrap().default(10) }),
  output: OUTPUTS.list_runs,
  shorten: 'limit',
  run: (scope, { projectSlug, ...query }) => listRuns(scope, projectSlug, query),
})
