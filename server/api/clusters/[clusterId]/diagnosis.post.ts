import { clusterParamsSchema } from '#shared/schemas/clusters'
import { rediagnoseCluster } from '../../../services/diagnoses'
import { validParams } from '../../../utils/validate'

/** Recomputes the cluster's diagnosis now (a new version), for members and admins. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { clusterId } = await validParams(event, clusterParamsSchema)
  setResponseStatus(event, 201)
  return rediagnoseCluster(scope, clusterId)
})
