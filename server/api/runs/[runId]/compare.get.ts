import { compareRunsQuerySchema, runParamsSchema } from '#shared/schemas/reads'
import { compareRuns } from '../../../services/compare'
import { validParams, validQuery } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'A run compared with another (default: the previous run of its branch): newly failing, fixed, still failing, added, removed, slower.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { runId } = await validParams(event, runParamsSchema)
  const query = await validQuery(event, compareRunsQuerySchema)
  return compareRuns(scope, runId, query)
})
