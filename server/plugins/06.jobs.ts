import { useDbHandle } from '../db'
import { enqueueBlobSweep, registerBlobSweep } from '../services/blobs'
import { enqueueCatchUp, registerCatchUp } from '../services/catch-up'
import { registerDiagnosisJob } from '../services/diagnoses'
import { startJobs } from '../services/jobs'
import { registerRetentionJob, scheduleRetention } from '../services/retention'
import { registerTestDaysJob, requeueDueTestDays } from '../services/test-rollups'
import { queueUpkeep, registerUpkeepJob } from '../services/upkeep'
import { registerWebhookDelivery } from '../services/webhook-delivery'
import { requeuePendingDeliveries } from '../services/webhook-events'

/**
 * After migrations: the job queue (pg-boss, in our own database) with every job type registered here (webhook
 * deliveries, diagnoses, the blob sweep, retention, the per-test day rollups, the embedded database's upkeep), then
 * the webhook deliveries and day rollups still pending from before a restart are queued again (deliveries and
 * diagnoses every few minutes too: services/catch-up.ts), retention is queued now and daily and, on PGlite, an
 * upkeep. The database plugin stops the queue before it closes the database.
 */
export default defineNitroPlugin(() => {
  if (import.meta.prerender) return
  registerWebhookDelivery()
  registerDiagnosisJob()
  registerBlobSweep()
  registerRetentionJob()
  registerTestDaysJob()
  registerUpkeepJob()
  registerCatchUp()
  useDbHandle().then(async () => {
    await startQueue()
    // the first blob sweep of this start; each sweep queues the next (PROOFDECK_BLOB_SWEEP_HOURS)
    await enqueueBlobSweep()
    const n = await requeuePendingDeliveries()
    if (n) console.info(`[proofdeck] queued ${n} webhook deliveries left pending before the restart`)
    await requeueDueTestDays()
    // and every few minutes from now on, for what a queue that could not be reached left waiting
    await enqueueCatchUp()
    scheduleRetention()
    queueUpkeep()
  }).catch((err: Error) => console.error(`[proofdeck] the job queue did not start: ${err.message}`))
})

/** The queue's start, tried again after 1, 2, 4 and 8 s when the database refused it for a moment. */
async function startQueue(): Promise<void> {
  for (let wait = 1000; ; wait *= 2) {
    try {
      await startJobs()
      return
    }
    catch (err) {
      if (wait > 8000) throw err
      console.error(`[proofdeck] the job queue did not start, trying again in ${wait / 1000} s: ${(err as Error).message}`)
      await new Promise(resolve => setTimeout(resolve, wait))
    }
  }
}
