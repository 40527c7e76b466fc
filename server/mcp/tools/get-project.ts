import { projectParamsSchema } from '../../../shared/schemas/reads'
import { getProject } from '../../services/projects'
import { defineTool } from '../define'

export const getProjectTool = defineTool({
  name: 'get_project',
  title: 'Project',
  description: 'A project\'s 10 latest runs and flaky/open-cluster counts.',
  input: projectParamsSchema,
  run: (scope, { projectSlug }) => getProject(scope, projectSlug),
})
