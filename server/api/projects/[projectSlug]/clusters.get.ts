import { listClustersPageQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listClusters } from '../../../services/clusters'
import { validParams, validQuery } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Failure clusters of a project, most recently seen first; filter by status and category.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  const query = await validQuery(event, listClustersPageQuerySchema)
  return listClusters(scope, projectSlug, query)
})
