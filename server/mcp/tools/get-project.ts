import { projectParamsSchema } from '#shared/schemas/reads'
import { getProject } from '../../services/projects'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'
import { withoutSparkline } from './list-projects'

export const getProjectTool = defineTool({
  name: 'get_project',
  title: 'Project',
  description: 'A project\'s 10 latest runs and flaky/open-cluster counts.',
  input: projectParamsSchema,
  output: OUTPUTS.get_project,
  run: async (scope, { projectSlug }) => withoutSparkline(await getProject(scope, projectSlug)),
})
