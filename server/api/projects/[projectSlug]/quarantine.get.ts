import { projectParamsSchema } from '#shared/schemas/reads'
import { listQuarantine } from '../../../services/quarantine'
import { validParams } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['quarantine'], summary: 'The project\'s quarantined tests, with those proposed for release.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  return listQuarantine(scope, projectSlug)
})
