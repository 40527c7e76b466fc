import { listRunsQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listRuns } from '../../../services/runs'
import { validator } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Runs of a project, newest first; filter by branch, status, since/until; cursor pagination.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await getValidatedRouterParams(event, validator(projectParamsSchema))
  const query = await getValidatedQuery(event, validator(listRunsQuerySchema))
  return listRuns(scope, projectSlug, query)
})
