import { clusterParamsSchema } from '../../../shared/schemas/clusters'
import { getClusterDiagnosis } from '../../services/diagnoses'
import { defineTool } from '../define'

export const getClusterDiagnosisTool = defineTool({
  name: 'get_cluster_diagnosis',
  title: 'Get a cluster diagnosis',
  description: 'A cluster\'s diagnosis: root cause, cited evidence (run/result ids, quoted lines), suggested fix, investigation steps, confidence.',
  input: clusterParamsSchema,
  run: (scope, { clusterId }) => getClusterDiagnosis(scope, clusterId),
})
