import { resultParamsSchema } from '#shared/schemas/attachments'
import { getResultEvidence } from '../../../services/attachments'
import { validator } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'One result\'s full error, stack, stdout, stderr and files.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { resultId } = await getValidatedRouterParams(event, validator(resultParamsSchema))
  return getResultEvidence(scope, resultId)
})
