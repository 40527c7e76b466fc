import { CODEOWNERS_MAX_BYTES, codeownersBodySchema, projectParamsSchema } from '#shared/schemas/reads'
import { storeCodeowners } from '../../../../services/owners'
import { payloadTooLarge } from '../../../../utils/errors'
import { readBodyWithin } from '../../../../utils/upload'
import { validator } from '../../../../utils/validate'

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

export default defineEventHandler(async (event) => {
  const scope = await requireApiKey(event, 'ingest')
  const { projectSlug } = await getValidatedRouterParams(event, validator(projectParamsSchema))
  const body = await readBodyWithin(event, CODEOWNERS_MAX_BYTES, () => payloadTooLarge('A CODEOWNERS file is at most 1 MB.'))
  return storeCodeowners(scope, projectSlug, validator(codeownersBodySchema)(body.toString('utf8')))
})
