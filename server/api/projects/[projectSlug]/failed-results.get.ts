import { listFailedResultsQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listFailedResults } from '../../../services/runs'
import { validParams, validQuery } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Failed results across recent runs of a project (a pass on retry is never listed).' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  const query = await validQuery(event, listFailedResultsQuerySchema)
  return listFailedResults(scope, projectSlug, query)
})
