import { testCaseHistoryQuerySchema, testCaseParamsSchema } from '#shared/schemas/reads'
import { listTestCaseHistory } from '../../../services/test-cases'
import { validator } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'A page of one test case\'s results, newest first (cursor-paged).' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { testCaseId } = await getValidatedRouterParams(event, validator(testCaseParamsSchema))
  const query = await getValidatedQuery(event, validator(testCaseHistoryQuerySchema))
  return listTestCaseHistory(scope, testCaseId, query)
})
