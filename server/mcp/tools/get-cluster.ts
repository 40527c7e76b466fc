import { clusterParamsSchema } from '../../../shared/schemas/clusters'
import { getCluster } from '../../services/clusters'
import { defineTool } from '../define'

export const getClusterTool = defineTool({
  name: 'get_cluster',
  title: 'Get a failure cluster',
  description: 'One cluster: signature, sample error, affected tests, occurrences per day, triage status, diagnosis summary. Next: get_cluster_diagnosis.',
  input: clusterParamsSchema,
  run: (scope, { clusterId }) => getCluster(scope, clusterId),
})
