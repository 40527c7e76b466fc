import { clusterParamsSchema } from '#shared/schemas/clusters'
import { buildClusterContext } from '../../services/diagnoses'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'

export const getClusterContextTool = defineTool({
  name: 'get_cluster_context',
  title: 'Cluster evidence',
  description: 'Raw evidence behind a diagnosis: errors, logs, commits (~6k tokens).',
  input: clusterParamsSchema,
  output: OUTPUTS.get_cluster_context,
  run: async (scope, { clusterId }) => {
    const context = await buildClusterContext(scope, clusterId)
    return { clusterId: context.clusterId, approxTokens: context.approxTokens, omitted: context.omitted, markdown: context.markdown }
  },
})
