import { listFailedResultsQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listFailedResults } from '../../../services/runs'
import { validator } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Failed results across recent runs of a project (a pass on retry is never listed).' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await getValidatedRouterParams(event, validator(projectParamsSchema))
  const query = await getValidatedQuery(event, validator(listFailedResultsQuerySchema))
  return listFailedResults(scope, projectSlug, query)
})
