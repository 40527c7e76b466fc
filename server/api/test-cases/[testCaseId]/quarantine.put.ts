import { quarantineBodySchema } from '#shared/schemas/quarantine'
import { testCaseParamsSchema } from '#shared/schemas/reads'
import { quarantineTestCase } from '../../../services/quarantine'
import { validBody, validParams } from '../../../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['quarantine'],
    summary: 'Quarantine a test case',
    description: 'Body {reason, expiresAt?} (`until` is the same as `expiresAt`). Its failures stop failing `proofdeck upload --fail-on-blocking` until released or expired. Members and admins only.',
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { testCaseId } = await validParams(event, testCaseParamsSchema)
  const body = await validBody(event, quarantineBodySchema)
  return quarantineTestCase(scope, testCaseId, body)
})
