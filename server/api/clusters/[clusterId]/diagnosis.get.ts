import { clusterParamsSchema } from '#shared/schemas/clusters'
import { getClusterDiagnosis } from '../../../services/diagnoses'
import { validator } from '../../../utils/validate'

/** The cluster's stored diagnosis and its versions; never computes one (ingest and POST do). */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { clusterId } = await getValidatedRouterParams(event, validator(clusterParamsSchema))
  return getClusterDiagnosis(scope, clusterId)
})
