import { listClustersQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listClusters } from '../../services/clusters'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'

export const listClustersTool = defineTool({
  name: 'list_clusters',
  title: 'Clusters',
  description: 'A project\'s failure clusters (one root cause each). Next: get_cluster.',
  input: projectParamsSchema.extend(listClustersQuerySchema.shape),
  output: OUTPUTS.list_clusters,
  shorten: 'limit',
  run: (scope, { projectSlug, ...query }) => listClusters(scope, projectSlug, query),
})
