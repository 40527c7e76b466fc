import { listExplorerTestsQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listExplorerTests } from '../../../services/explorer'
import { validParams, validQuery } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'The test explorer: every test that ran in the window, with failure rate, flakiness, p50/p95 and duration regressions.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  const query = await validQuery(event, listExplorerTestsQuerySchema)
  return listExplorerTests(scope, projectSlug, query)
})
