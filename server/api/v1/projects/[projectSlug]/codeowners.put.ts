import { codeownersBodySchema, projectParamsSchema } from '#shared/schemas/reads'
import { storeCodeowners } from '../../../../services/owners'
import { validParams, validator } from '../../../../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['ingest'],
    summary: 'The repository\'s CODEOWNERS, for test owners',
    description: 'Body: the CODEOWNERS file as text (at most 1 MB). Stored as the project\'s latest; every test takes its owners from its file path (GitHub semantics: the last matching pattern wins). The CLI sends it after an upload. An API key with the "ingest" scope.',
    security: [{ bearerAuth: [] }],
    responses: {
      200: { description: '{project, rules, changed, ownedTests}' },
      400: { description: 'An empty body or one with a NUL character.' },
      401: { description: 'Missing, unknown, revoked or expired API key.' },
      403: { description: 'The key lacks the ingest scope.' },
      404: { description: 'The project is outside the key\'s scope (or has no runs yet: upload first).' },
      413: { description: 'Larger than 1 MB.' },
    },
  },
})

// the body is read (and held to 1 MB) by server/middleware/body-limit.ts
export default defineEventHandler(async (event) => {
  const scope = await requireApiKey(event, 'ingest')
  const { projectSlug } = await validParams(event, projectParamsSchema)
  return storeCodeowners(scope, projectSlug, validator(codeownersBodySchema)((await readRawBody(event, 'utf8')) ?? ''))
})
