import { resultParamsSchema } from '#shared/schemas/attachments'
import { getResultEvidence } from '../../../services/attachments'
import { validParams } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'One result\'s full error, stack, stdout, stderr and files.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { resultId } = await validParams(event, resultParamsSchema)
  return getResultEvidence(scope, resultId)
})
