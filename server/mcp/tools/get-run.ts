import { getRunQuerySchema, runParamsSchema } from '#shared/schemas/reads'
import { getRun } from '../../services/runs'
import { defineTool } from '../define'

export const getRunTool = defineTool({
  name: 'get_run',
  title: 'Run',
  description: 'A run\'s failures by cluster and results by status (retry pass = flaky). Next: get_test_case.',
  input: runParamsSchema.extend(getRunQuerySchema.shape).extend({ limit: getRunQuerySchema.shape.limit.unwrap().default(10) }),
  run: (scope, { runId, ...query }) => getRun(scope, runId, query),
})
