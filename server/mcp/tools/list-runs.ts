import { listRunsQuerySchema, projectParamsSchema } from '../../../shared/schemas/reads'
import { listRuns } from '../../services/runs'
import { defineTool } from '../define'

export const listRunsTool = defineTool({
  name: 'list_runs',
  title: 'List runs',
  description: 'Runs of a project, newest first, with status and counts. Filters: branch, status, since/until (ISO). Next: get_run.',
  input: projectParamsSchema.extend(listRunsQuerySchema.shape).extend({ limit: listRunsQuerySchema.shape.limit.unwrap().default(10) }),
  run: (scope, { projectSlug, ...query }) => listRuns(scope, projectSlug, query),
})
