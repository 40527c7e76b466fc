import { clusterParamsSchema } from '../../../shared/schemas/clusters'
import { buildClusterContext } from '../../services/diagnoses'
import { defineTool } from '../define'

export const getClusterContextTool = defineTool({
  name: 'get_cluster_context',
  title: 'Get a cluster evidence bundle',
  description: 'A cluster\'s raw evidence bundle (markdown, secrets redacted, ~6k tokens): errors, steps, logs, affected tests, commits, history. What the diagnosis engine reads.',
  input: clusterParamsSchema,
  run: async (scope, { clusterId }) => {
    const context = await buildClusterContext(scope, clusterId)
    return { clusterId: context.clusterId, approxTokens: context.approxTokens, omitted: context.omitted, markdown: context.markdown }
  },
})
