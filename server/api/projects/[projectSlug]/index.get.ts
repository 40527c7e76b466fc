import { projectParamsSchema } from '#shared/schemas/reads'
import { getProject } from '../../../services/projects'
import { validParams } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'One project with its latest runs, flaky test count and open clusters.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  return getProject(scope, projectSlug)
})
