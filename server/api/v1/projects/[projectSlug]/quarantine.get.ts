import { projectParamsSchema } from '#shared/schemas/reads'
import { listQuarantine } from '../../../../services/quarantine'
import { validParams } from '../../../../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['quarantine'],
    summary: 'The project\'s quarantined tests',
    description: 'Quarantines that apply now (expired ones left out), by title: what a runner may skip. An API key with the "ingest" or the "read" scope.',
    security: [{ bearerAuth: [] }],
    responses: {
      200: { description: '{project, items: [{testCaseId, title, suitePath, file, reason, by, at, expiresAt}]}' },
      401: { description: 'Missing, unknown, revoked or expired API key.' },
      404: { description: 'The project is outside the key\'s scope.' },
    },
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireApiKey(event, ['ingest', 'read'])
  const { projectSlug } = await validParams(event, projectParamsSchema)
  return listQuarantine(scope, projectSlug)
})
