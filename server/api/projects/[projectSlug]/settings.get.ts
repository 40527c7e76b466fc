import { projectParamsSchema } from '#shared/schemas/reads'
import { getProjectSettings } from '../../../services/project-settings'
import { validParams } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['projects'], summary: 'A project\'s settings: name, repository URL, default branch, retention.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  return getProjectSettings(scope, projectSlug)
})
