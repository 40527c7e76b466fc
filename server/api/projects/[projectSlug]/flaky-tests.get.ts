import { listFlakyTestsPageQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listFlakyTests } from '../../../services/test-cases'
import { validator } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Test cases ranked by flakiness score, with confidence and evidence counts.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await getValidatedRouterParams(event, validator(projectParamsSchema))
  const query = await getValidatedQuery(event, validator(listFlakyTestsPageQuerySchema))
  return listFlakyTests(scope, projectSlug, query)
})
