import { listRunsQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listRuns } from '../../../services/runs'
import { validParams, validQuery } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Runs of a project, newest first; filter by branch, status, since/until; cursor pagination.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  const query = await validQuery(event, listRunsQuerySchema)
  return listRuns(scope, projectSlug, query)
})
