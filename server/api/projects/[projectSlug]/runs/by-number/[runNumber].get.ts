import { runNumberParamsSchema } from '#shared/schemas/reads'
import { getRunByNumber } from '../../../../../services/search'
import { validParams } from '../../../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'The run with this number (#1234) in the project: its id, branch, status and start.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug, runNumber } = await validParams(event, runNumberParamsSchema)
  return getRunByNumber(scope, projectSlug, runNumber)
})
