import { z } from 'zod'
import { uuidSchema } from './common'

/** Route parameters of the attachment and evidence reads. */
export const attachmentParamsSchema = z.object({ attachmentId: uuidSchema('attachmentId is an attachment id (a UUID) from a run or result.') })
export const resultParamsSchema = z.object({ resultId: uuidSchema('resultId is a result id (a UUID) from a run or test page.') })
