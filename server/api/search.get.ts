import { searchQuerySchema } from '#shared/schemas/reads'
import { search } from '../services/search'
import { validQuery } from '../utils/validate'

defineRouteMeta({ openAPI: { tags: ['reads'], summary: 'Search across history: tests (title, suite, file) and failure clusters (error text), filtered by project, branch, status and time.' } })

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const query = await validQuery(event, searchQuerySchema)
  return search(scope, query)
})
