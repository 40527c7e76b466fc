import { pruneExpiredRuns } from '../../services/retention'

defineRouteMeta({
  openAPI: {
    tags: ['projects'],
    summary: 'Apply retention now',
    description: 'Deletes the runs older than each project\'s retention (else PROOFDECK_RETENTION_DAYS), as the daily job does, and answers what went. Admins only.',
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  return pruneExpiredRuns(scope)
})
