import { attentionQuerySchema } from '#shared/schemas/attention'
import { listAttention } from '../services/attention'
import { validator } from '../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['overview'],
    summary: 'What needs attention',
    description: 'New failure clusters (first seen in the last `days`), regressed clusters, and tests that became flaky in the last `days`, across the projects the caller can see.',
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const query = await getValidatedQuery(event, validator(attentionQuerySchema))
  return listAttention(scope, query)
})
