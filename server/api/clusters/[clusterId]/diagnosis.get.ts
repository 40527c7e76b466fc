import { clusterParamsSchema } from '#shared/schemas/clusters'
import { getClusterDiagnosis } from '../../../services/diagnoses'
import { validParams } from '../../../utils/validate'

/** The cluster's stored diagnosis and its versions; never computes one (ingest and POST do). */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { clusterId } = await validParams(event, clusterParamsSchema)
  return getClusterDiagnosis(scope, clusterId, { runNumbers: true })
})
