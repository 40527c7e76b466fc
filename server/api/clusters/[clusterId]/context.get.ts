import { clusterParamsSchema } from '#shared/schemas/clusters'
import { contextQuerySchema } from '#shared/schemas/diagnosis'
import { buildClusterContext } from '../../../services/diagnoses'
import { validParams, validQuery } from '../../../utils/validate'

/** The cluster's evidence bundle (markdown + data), exactly what a diagnosis engine receives. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { clusterId } = await validParams(event, clusterParamsSchema)
  const query = await validQuery(event, contextQuerySchema)
  return buildClusterContext(scope, clusterId, query)
})
