import { getRunQuerySchema, runParamsSchema } from '#shared/schemas/reads'
import { getRun } from '../../services/runs'
import { validator } from '../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'One run: summary, failures grouped by cluster, and a page of results (failed by default).' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { runId } = await getValidatedRouterParams(event, validator(runParamsSchema))
  const query = await getValidatedQuery(event, validator(getRunQuerySchema))
  return getRun(scope, runId, query)
})
