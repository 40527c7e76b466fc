import { updateProjectBodySchema } from '#shared/schemas/projects'
import { projectParamsSchema } from '#shared/schemas/reads'
import { updateProject } from '../../../services/project-settings'
import { validBody, validParams } from '../../../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['projects'],
    summary: 'Change a project\'s settings',
    description: 'Body {name?, repositoryUrl? (http(s), "" or null clears it), defaultBranch?, retentionDays? (1–36500, null = server default)}. A new defaultBranch judges every stored failure new or already failing again, against it. Members and admins only.',
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  const body = await validBody(event, updateProjectBodySchema)
  return updateProject(scope, projectSlug, body)
})
