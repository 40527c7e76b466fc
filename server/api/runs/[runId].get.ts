import { getRunQuerySchema, runParamsSchema } from '#shared/schemas/reads'
import { getRun } from '../../services/runs'
import { validParams, validQuery } from '../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'One run: summary, failures grouped by cluster, and a page of results (failed by default).' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { runId } = await validParams(event, runParamsSchema)
  const query = await validQuery(event, getRunQuerySchema)
  return getRun(scope, runId, query)
})
