import { testCaseParamsSchema } from '#shared/schemas/reads'
import { releaseTestCase } from '../../../services/quarantine'
import { validator } from '../../../utils/validate'

defineRouteMeta({
  openAPI: { tags: ['quarantine'], summary: 'Release a quarantined test case: its failures block again. Members and admins only.' },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { testCaseId } = await getValidatedRouterParams(event, validator(testCaseParamsSchema))
  return releaseTestCase(scope, testCaseId)
})
