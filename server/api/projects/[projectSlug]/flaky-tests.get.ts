import { listFlakyTestsPageQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listFlakyTests } from '../../../services/test-cases'
import { validParams, validQuery } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Test cases ranked by flakiness score, with confidence and evidence counts.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  const query = await validQuery(event, listFlakyTestsPageQuerySchema)
  return listFlakyTests(scope, projectSlug, query)
})
