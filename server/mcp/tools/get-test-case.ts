import { getTestCaseQuerySchema, testCaseHistoryQuerySchema, testCaseParamsSchema } from '#shared/schemas/reads'
import { getTestCase, listTestCaseHistory } from '../../services/test-cases'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'
import { historyPageAnswer, testCaseAnswer } from '../project'

export const getTestCaseTool = defineTool({
  name: 'get_test_case',
  title: 'Test case',
  description: 'A test\'s label, flakiness evidence, history, errors grouped, typical error. Next: get_cluster.',
  input: testCaseParamsSchema
    .extend(getTestCaseQuerySchema.shape)
    .extend({ history: getTestCaseQuerySchema.shape.history.unwrap().default(8), historyCursor: testCaseHistoryQuerySchema.shape.cursor }),
  output: OUTPUTS.get_test_case,
  shorten: 'history',
  run: async (scope, { testCaseId, historyCursor, history: limit }) => {
    // the answer's historyNextCursor continues the history, `history` rows at a time; a later page is those rows only
    if (!historyCursor) return testCaseAnswer(await getTestCase(scope, testCaseId, { history: limit }))
    const page = await listTestCaseHistory(scope, testCaseId, { cursor: historyCursor, limit }, { cursor: 'historyCursor', next: 'historyNextCursor' })
    return historyPageAnswer(testCaseId, page)
  },
})
