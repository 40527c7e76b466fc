import { clusterParamsSchema, updateClusterBodySchema } from '#shared/schemas/clusters'
import { updateCluster } from '../../services/clustering'
import { validBody, validParams } from '../../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['clusters'],
    summary: 'Triage a failure cluster',
    description: 'Sets the status (open, investigating, resolved, ignored) and note of a cluster, or merges another cluster of the same project into it. Members and admins only.',
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { clusterId } = await validParams(event, clusterParamsSchema)
  const body = await validBody(event, updateClusterBodySchema)
  return updateCluster(scope, clusterId, body)
})
