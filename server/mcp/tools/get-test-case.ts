import { getTestCaseQuerySchema, testCaseParamsSchema } from '#shared/schemas/reads'
import { getTestCase } from '../../services/test-cases'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'
import { testCaseAnswer } from '../project'

export const getTestCaseTool = defineTool({
  name: 'get_test_case',
  title: 'Test case',
  description: 'A test\'s label, flakiness evidence, history, errors grouped, typical error whole. Next: get_cluster.',
  input: testCaseParamsSchema
    .extend(getTestCaseQuerySchema.shape)
    .extend({ history: getTestCaseQuerySchema.shape.history.unwrap().default(8) }),
  output: OUTPUTS.get_test_case,
  shorten: 'history',
  run: async (scope, { testCaseId, ...query }) => testCaseAnswer(await getTestCase(scope, testCaseId, query)),
})
