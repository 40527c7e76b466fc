import { getTestCaseQuerySchema, testCaseParamsSchema } from '#shared/schemas/reads'
import { getTestCase } from '../../services/test-cases'
import { defineTool } from '../define'

export const getTestCaseTool = defineTool({
  name: 'get_test_case',
  title: 'Test case',
  description: 'A test\'s flakiness evidence, history, clusters and newest error.',
  input: testCaseParamsSchema
    .extend(getTestCaseQuerySchema.shape)
    .extend({ history: getTestCaseQuerySchema.shape.history.unwrap().default(8) }),
  run: (scope, { testCaseId, ...query }) => getTestCase(scope, testCaseId, query),
})
