import { clusterParamsSchema } from '../../../../shared/schemas/diagnosis'
import { getClusterDiagnosis } from '../../../services/diagnoses'
import { validator } from '../../../utils/validate'

/** The cluster's newest diagnosis (computed first if new evidence arrived) and its versions. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { clusterId } = await getValidatedRouterParams(event, validator(clusterParamsSchema))
  return getClusterDiagnosis(scope, clusterId)
})
