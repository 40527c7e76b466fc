import { runParamsSchema } from '#shared/schemas/reads'
import { listRunAttachments } from '../../../services/attachments'
import { validParams } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'The files a run\'s results came with (screenshots, videos, traces), by result.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { runId } = await validParams(event, runParamsSchema)
  return listRunAttachments(scope, runId)
})
