import { listProjects } from '../../services/projects'

export default defineEventHandler(async event => listProjects(await requireUserScope(event)))
