import { getTestCaseQuerySchema, testCaseParamsSchema } from '#shared/schemas/reads'
import { getTestCase } from '../../services/test-cases'
import { validParams, validQuery } from '../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'One test case: flakiness with evidence, recent history (historyNextCursor continues it through …/history), clusters, last error.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { testCaseId } = await validParams(event, testCaseParamsSchema)
  const query = await validQuery(event, getTestCaseQuerySchema)
  return getTestCase(scope, testCaseId, query)
})
