import { listClustersQuerySchema, projectParamsSchema } from '../../../shared/schemas/reads'
import { listClusters } from '../../services/clusters'
import { defineTool } from '../define'

export const listClustersTool = defineTool({
  name: 'list_clusters',
  title: 'List failure clusters',
  description: 'Failure clusters (one root cause across runs) of a project, last seen first, with status, occurrences, affected tests. Next: get_cluster.',
  input: projectParamsSchema.extend(listClustersQuerySchema.shape),
  run: (scope, { projectSlug, ...query }) => listClusters(scope, projectSlug, query),
})
