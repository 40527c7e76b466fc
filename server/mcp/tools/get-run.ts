import { getRunToolQuerySchema, runParamsSchema } from '#shared/schemas/reads'
import { getRun } from '../../services/runs'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'
import { runAnswer } from '../project'

export const getRunTool = defineTool({
  name: 'get_run',
  title: 'Run',
  description: 'A run\'s triage: failures by cause (new or known, since when, diagnosis), flaky causes; results adds rows. '
    + 'Next: get_cluster_diagnosis.',
  input: runParamsSchema.extend(getRunToolQuerySchema.shape),
  output: OUTPUTS.get_run,
  shorten: 'limit',
  run: async (scope, { runId, results, ...query }) =>
    runAnswer(await getRun(scope, runId, { ...query, status: results ?? null }), results !== undefined),
})
