import { getTestCaseQuerySchema, testCaseParamsSchema } from '#shared/schemas/reads'
import { getTestCase } from '../../services/test-cases'
import { validator } from '../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'One test case: flakiness with evidence, recent history (historyNextCursor continues it through …/history), clusters, last error.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { testCaseId } = await getValidatedRouterParams(event, validator(testCaseParamsSchema))
  const query = await getValidatedQuery(event, validator(getTestCaseQuerySchema))
  return getTestCase(scope, testCaseId, query)
})
