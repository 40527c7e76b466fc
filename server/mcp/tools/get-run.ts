import { getRunQuerySchema, runParamsSchema } from '../../../shared/schemas/reads'
import { getRun } from '../../services/runs'
import { defineTool } from '../define'

export const getRunTool = defineTool({
  name: 'get_run',
  title: 'Get a run',
  description: 'One run: failures grouped by cluster, and its results filtered by status (default failed; a pass on retry is flaky, never failed). Next: get_cluster, get_test_case.',
  input: runParamsSchema.extend(getRunQuerySchema.shape).extend({ limit: getRunQuerySchema.shape.limit.unwrap().default(10) }),
  run: (scope, { runId, ...query }) => getRun(scope, runId, query),
})
