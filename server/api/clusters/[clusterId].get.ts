import { clusterParamsSchema } from '#shared/schemas/clusters'
import { getCluster } from '../../services/clusters'
import { validParams } from '../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'One failure cluster: signature, affected tests, occurrences per day, latest diagnosis.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { clusterId } = await validParams(event, clusterParamsSchema)
  return getCluster(scope, clusterId)
})
