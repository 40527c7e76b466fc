import { testCaseHistoryQuerySchema, testCaseParamsSchema } from '#shared/schemas/reads'
import { listTestCaseHistory } from '../../../services/test-cases'
import { validParams, validQuery } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'A page of one test case\'s results, newest first (cursor-paged).' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { testCaseId } = await validParams(event, testCaseParamsSchema)
  const query = await validQuery(event, testCaseHistoryQuerySchema)
  return listTestCaseHistory(scope, testCaseId, query)
})
