import { projectParamsSchema } from '../../../shared/schemas/reads'
import { getProject } from '../../services/projects'
import { defineTool } from '../define'

export const getProjectTool = defineTool({
  name: 'get_project',
  title: 'Get a project',
  description: 'One project: latest 10 runs, flaky test count, open cluster count.',
  input: projectParamsSchema,
  run: (scope, { projectSlug }) => getProject(scope, projectSlug),
})
