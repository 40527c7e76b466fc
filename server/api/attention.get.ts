import { attentionQuerySchema } from '#shared/schemas/attention'
import { listAttention } from '../services/attention'
import { validQuery } from '../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['overview'],
    summary: 'What needs attention',
    description: 'Across the projects the caller can see, measured on when runs started in CI (not upload time): failure clusters '
      + 'whose first failure ran in the last `days`, regressed clusters that failed in them, and flaky tests whose first flaky '
      + 'evidence ran in them with a confidence (Wilson lower bound) of at least `minConfidence`.',
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const query = await validQuery(event, attentionQuerySchema)
  return listAttention(scope, query)
})
