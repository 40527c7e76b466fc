import { testCaseParamsSchema } from '#shared/schemas/reads'
import { releaseTestCase } from '../../../services/quarantine'
import { validParams } from '../../../utils/validate'

defineRouteMeta({
  openAPI: { tags: ['quarantine'], summary: 'Release a quarantined test case: its failures block again. Members and admins only.' },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { testCaseId } = await validParams(event, testCaseParamsSchema)
  return releaseTestCase(scope, testCaseId)
})
