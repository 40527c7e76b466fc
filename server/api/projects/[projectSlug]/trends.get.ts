import { projectParamsSchema, runTrendsQuerySchema } from '#shared/schemas/reads'
import { getRunTrends } from '../../../services/runs'
import { validParams, validQuery } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Runs per day and branch over the last `days` (default 30): passed and executed tests, mean duration.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  const query = await validQuery(event, runTrendsQuerySchema)
  return getRunTrends(scope, projectSlug, query)
})
