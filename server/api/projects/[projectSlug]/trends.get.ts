import { projectParamsSchema, runTrendsQuerySchema } from '#shared/schemas/reads'
import { getRunTrends } from '../../../services/runs'
import { validator } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Runs per day and branch over the last `days` (default 30): passed and executed tests, mean duration.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await getValidatedRouterParams(event, validator(projectParamsSchema))
  const query = await getValidatedQuery(event, validator(runTrendsQuerySchema))
  return getRunTrends(scope, projectSlug, query)
})
