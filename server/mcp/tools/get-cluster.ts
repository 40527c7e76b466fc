import { clusterParamsSchema } from '#shared/schemas/clusters'
import { getCluster } from '../../services/clusters'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'

export const getClusterTool = defineTool({
  name: 'get_cluster',
  title: 'Cluster',
  description: 'A cluster\'s error, affected tests, occurrences, triage. Next: get_cluster_diagnosis.',
  input: clusterParamsSchema,
  output: OUTPUTS.get_cluster,
  run: async (scope, { clusterId }) => {
    const cluster = await getCluster(scope, clusterId)
    const notListed = cluster.affectedTests - cluster.affected.length
    return notListed > 0 ? { ...cluster, affectedNotListed: notListed } : cluster
  },
})
