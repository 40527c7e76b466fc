import { z } from 'zod'
import { listProjects } from '../../services/projects'
import { defineTool } from '../define'

export const listProjectsTool = defineTool({
  name: 'list_projects',
  title: 'Projects',
  description: 'Start here: projects you can read, with latest run; slug is the projectSlug.',
  input: z.object({}),
  run: async scope => ({ items: await listProjects(scope) }),
})
