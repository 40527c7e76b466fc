import { deleteProjectBodySchema } from '#shared/schemas/projects'
import { projectParamsSchema } from '#shared/schemas/reads'
import { deleteProject } from '../../../services/project-settings'
import { requireProject } from '../../../services/projects'
import { validBody, validParams } from '../../../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['projects'],
    summary: 'Delete a project and everything under it',
    description: 'Body {confirm: the project slug}. Admins only. Runs, results, clusters, test cases, webhooks and keys bound to it go; answers 204.',
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { projectSlug } = await validParams(event, projectParamsSchema)
  await requireProject(scope, projectSlug) // before the body: another project's slug is a 404, not a remark on confirm
  const { confirm } = await validBody(event, deleteProjectBodySchema)
  await deleteProject(scope, projectSlug, confirm)
  setResponseStatus(event, 204)
  return null
})
