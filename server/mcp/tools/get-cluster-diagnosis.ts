import { clusterParamsSchema } from '#shared/schemas/clusters'
import { getClusterDiagnosis } from '../../services/diagnoses'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'

export const getClusterDiagnosisTool = defineTool({
  name: 'get_cluster_diagnosis',
  title: 'Cluster diagnosis',
  description: 'A cluster\'s root cause, cited evidence, suggested fix and confidence.',
  input: clusterParamsSchema,
  output: OUTPUTS.get_cluster_diagnosis,
  run: (scope, { clusterId }) => getClusterDiagnosis(scope, clusterId),
})
