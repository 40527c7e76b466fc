import { attachmentParamsSchema } from '#shared/schemas/attachments'
import { readAttachment } from '../../services/attachments'
import { validParams } from '../../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['reads'],
    summary: 'The bytes of an attachment (screenshot, video, trace, log): a session or an API key with the read scope.',
    description: 'Raster images, videos and plain text are served inline; anything else (HTML, SVG, archives) as application/octet-stream for download. Always nosniff and a sandboxing CSP.',
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireReadScope(event)
  const { attachmentId } = await validParams(event, attachmentParamsSchema)
  const { headers, body } = await readAttachment(scope, attachmentId)
  setResponseHeaders(event, headers)
  return body
})
