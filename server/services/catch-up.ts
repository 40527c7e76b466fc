import { diagnoseStaleClusters } from './diagnoses'
import { useConfig } from '../utils/config'
import { enqueueJob, registerJob } from './jobs'
import { requeuePendingDeliveries } from './webhook-events'

/**
 * What an upload queues after its commit (webhook deliveries, diagnoses of the clusters it touched) is in the database
 * before it is on the job queue: when the queue cannot be reached at that moment (Postgres restarting), the rows wait.
 * This job queues them again every PROOFDECK_CATCH_UP_SECONDS (5 minutes), once across instances (one job waits at a
 * time), so they do not wait for the next start. The start does the same at once (plugins/06.jobs.ts, 01.startup.ts).
 */
const CATCH_UP_JOB = 'catch-up'

export function enqueueCatchUp(): Promise<boolean> {
  return enqueueJob(CATCH_UP_JOB, {}, { singletonKey: 'next', startAfter: useConfig().catchUpSeconds })
}

export function registerCatchUp(): void {
  registerJob({
    name: CATCH_UP_JOB, policy: 'short', retryLimit: 1, retryDelay: 60, expireInSeconds: 900, concurrency: 1,
    handler: async () => {
      try {
        const deliveries = await requeuePendingDeliveries()
        const diagnoses = await diagnoseStaleClusters({ queue: true })
        if (deliveries || diagnoses) console.info(`[proofdeck] caught up: queued ${deliveries} webhook deliveries and ${diagnoses} diagnoses left waiting`)
      }
      finally {
        await enqueueCatchUp()
      }
    },
  })
}
