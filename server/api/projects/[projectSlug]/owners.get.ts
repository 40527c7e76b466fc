import { projectParamsSchema } from '#shared/schemas/reads'
import { listOwners } from '../../../services/owners'
import { validParams } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Every owner of the project\'s tests (from its CODEOWNERS), for the owner filters.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  return listOwners(scope, projectSlug)
})
