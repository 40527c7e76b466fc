import { projectParamsSchema } from '#shared/schemas/reads'
import { getProject } from '../../../services/projects'
import { validator } from '../../../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'One project with its latest runs, flaky test count and open clusters.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await getValidatedRouterParams(event, validator(projectParamsSchema))
  return getProject(scope, projectSlug)
})
