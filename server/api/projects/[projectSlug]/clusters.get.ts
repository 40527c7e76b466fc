import { listClustersPageQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listClusters } from '../../../services/clusters'
import { validator } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Failure clusters of a project, most recently seen first; filter by status and category.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await getValidatedRouterParams(event, validator(projectParamsSchema))
  const query = await getValidatedQuery(event, validator(listClustersPageQuerySchema))
  return listClusters(scope, projectSlug, query)
})
