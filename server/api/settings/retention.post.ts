import { pruneExpiredRuns } from '../../services/retention'

defineRouteMeta({
  openAPI: {
    tags: ['projects'],
    summary: 'Apply retention now',
    description: 'Deletes the runs older than each project\'s retention (else PROOFDECK_RETENTION_DAYS), as the daily job does, and answers what went: runs per project, the months of results dropped whole (`monthsDropped`, when every project\'s retention is past a month), the settled webhook deliveries older than the retention (`webhookDeliveriesDeleted`) and the stored results\' properties objects no remaining run points at (`resultPropertiesDeleted`). Admins only.',
  },
})

export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  return pruneExpiredRuns(scope)
})
