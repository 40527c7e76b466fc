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
    // a diagnosis made before the run of the cluster's latest failure started quotes the scores and counts of its own
    // time, as the page says (by the run's start: a run uploaded late is not told apart)
    const { diagnosis } = cluster
    const older = diagnosis && diagnosis.createdAt < cluster.lastSeenAt
      ? { diagnosis: { ...diagnosis, note: `Made before the run of the latest failure started (${cluster.lastSeenAt}): the scores and counts it quotes are of its time.` } }
      : {}
    return { ...cluster, ...older, ...notListed > 0 ? { affectedNotListed: notListed } : {} }
  },
})
