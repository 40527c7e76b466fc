import { clusterParamsSchema } from '#shared/schemas/clusters'
import { predatesLatestFailure } from '#shared/diagnosis'
import { getCluster } from '../../services/clusters'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'
import { named } from '../project'

export const getClusterTool = defineTool({
  name: 'get_cluster',
  title: 'Cluster',
  description: 'A cluster\'s error, affected tests, occurrences, triage. Next: get_cluster_diagnosis.',
  input: clusterParamsSchema,
  output: OUTPUTS.get_cluster,
  run: async (scope, { clusterId }) => {
    const cluster = await getCluster(scope, clusterId)
    const notListed = cluster.affectedTests - cluster.affected.length
    // a diagnosis made before the cluster's latest failure quotes the scores and counts of its own time, as the page says
    const { diagnosis } = cluster
    const older = diagnosis && predatesLatestFailure(diagnosis.createdAt, cluster.lastSeenAt)
      ? { diagnosis: { ...diagnosis, note: `Made before the run of the latest failure started (${cluster.lastSeenAt}): the scores and counts it quotes are of its time.` } }
      : {}
    return {
      ...cluster, affected: cluster.affected.map(t => named(t, t.suitePath)), ...older,
      ...notListed > 0 ? { affectedNotListed: notListed } : {},
    }
  },
})
