import { z } from 'zod'
import { listProjects } from '../../services/projects'
import { defineTool } from '../define'

export const listProjectsTool = defineTool({
  name: 'list_projects',
  title: 'List projects',
  description: 'Projects this key can read, with run count and latest run. Start here: `slug` is the projectSlug other tools take.',
  input: z.object({}),
  run: async scope => ({ items: await listProjects(scope) }),
})
