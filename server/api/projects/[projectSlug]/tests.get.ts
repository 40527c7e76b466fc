import { listExplorerTestsQuerySchema, projectParamsSchema } from '#shared/schemas/reads'
import { listExplorerTests } from '../../../services/explorer'
import { validator } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'The test explorer: every test that ran in the window, with failure rate, flakiness, p50/p95 and duration regressions.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await getValidatedRouterParams(event, validator(projectParamsSchema))
  const query = await getValidatedQuery(event, validator(listExplorerTestsQuerySchema))
  return listExplorerTests(scope, projectSlug, query)
})
