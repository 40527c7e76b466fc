import { listClustersQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listClusters } from '../../services/clusters'
import { defineTool } from '../define'

export const listClustersTool = defineTool({
  name: 'list_clusters',
  title: 'Clusters',
  description: 'A project\'s failure clusters (one root cause each). Next: get_cluster.',
  input: projectParamsSchema.extend(listClustersQuerySchema.shape),
  run: (scope, { projectSlug, ...query }) => listClusters(scope, projectSlug, query),
})
