import PgBoss from 'pg-boss'
import type { PGlite } from '@electric-sql/pglite'
import { useDbHandle } from '../db'
import { useConfig } from '../utils/config'

/**
 * Background jobs on a Postgres-backed queue (pg-boss 10, the last major that runs on Node 20), in our own database:
 * jobs survive a restart, a job whose worker died (SIGKILL mid-job) is retried once its expiry passes, and several
 * app instances on one Postgres share the work. On Postgres pg-boss keeps its own small pool (`pg`); on embedded
 * PGlite it runs through an adapter onto the one PGlite connection (PGlite queues a statement behind an open
 * transaction, so pg-boss never runs inside ours). A job type is registered once (name, handler, retry policy) and
 * started with the queue; docs/webhooks.md describes the webhook one.
 */

export interface JobAttempt {
  /** The job id (for a webhook, the delivery id). */
  id: string
  /** 1 for the first try. */
  number: number
  /** No retry follows when this try throws. */
  last: boolean
}

export interface JobDefinition<T extends object> {
  name: string
  /** Throwing fails this try: pg-boss retries it (with backoff) until `retryLimit` retries are spent. */
  handler: (data: T, attempt: JobAttempt) => Promise<void>
  retryLimit: number
  /** Seconds before the first retry; with backoff each next one waits about twice as long (pg-boss adds jitter). */
  retryDelay: number
  /** A try still running after this long counts as dead (its process was killed) and is retried. */
  expireInSeconds: number
  /** Jobs of this name run at once in this process. */
  concurrency: number
  /**
   * `short`: at most one job per `singletonKey` waits to run (queuing another while one waits does nothing); one
   * may already be running meanwhile. Default `standard`.
   */
  policy?: 'standard' | 'short'
}

const definitions = new Map<string, JobDefinition<object>>()
let started: Promise<PgBoss> | undefined
/** The worker ids of each job type in this process, to wake them when this process queues one. */
const workerIds = new Map<string, string[]>()

/** Declares a job type; call before startJobs (the jobs plugin registers every type at start-up). */
export function registerJob<T extends object>(definition: JobDefinition<T>): void {
  definitions.set(definition.name, definition as unknown as JobDefinition<object>)
}

/** pg-boss's Db interface on the PGlite connection: statements without parameters may be several (its migrations). */
function pgliteAdapter(client: PGlite): PgBoss.Db {
  return {
    async executeSql(text, values) {
      if (values?.length) return client.query(text, values)
      const results = await client.exec(text)
      return results[results.length - 1] ?? { rows: [] }
    },
  }
}

async function boot(): Promise<PgBoss> {
  const handle = await useDbHandle()
  const { databaseUrl, jobsMaintenanceSeconds, jobsPollSeconds } = useConfig()
  const connection: PgBoss.DatabaseOptions = databaseUrl
    ? { connectionString: databaseUrl, max: 3, application_name: 'proofdeck-jobs' }
    // drizzle keeps the PGlite instance it was given as $client
    : { db: pgliteAdapter((handle.db as unknown as { $client: PGlite }).$client) }
  const boss = new PgBoss({ ...connection, schema: 'pgboss', schedule: false, maintenanceIntervalSeconds: jobsMaintenanceSeconds })
  boss.on('error', (err: Error) => console.error(`[proofdeck] job queue: ${err.message}`))
  // instances started together set the queue up one after the other, under the migrations' lock: two at once
  // deadlocked on pg-boss's tables, and the one that lost ran with no queue (its diagnoses and deliveries not queued)
  try {
    await (handle.migrating ?? (work => work()))(async () => {
      await boss.start()
      for (const def of definitions.values()) {
        const queue = {
          name: def.name, retryLimit: def.retryLimit, retryDelay: def.retryDelay, retryBackoff: true, expireInSeconds: def.expireInSeconds,
          policy: def.policy ?? 'standard',
        }
        // the policy follows the configuration of this start (a queue keeps its policy otherwise)
        if (await boss.getQueue(def.name)) await boss.updateQueue(def.name, queue)
        else await boss.createQueue(def.name, queue)
      }
    })
  }
  catch (err) {
    await boss.stop({ graceful: false, close: true }).catch(() => {})
    throw err
  }
  workerIds.clear()
  for (const def of definitions.values()) {
    const ids: string[] = []
    workerIds.set(def.name, ids)
    for (let i = 0; i < def.concurrency; i++) {
      // An idle worker asks for work every PROOFDECK_JOBS_POLL_SECONDS (jobs queued by another instance, retries that
      // came due); one that just ran a job asks again at once, so a backlog drains without waiting a poll per job.
      const options = { pollingIntervalSeconds: jobsPollSeconds, includeMetadata: true as const }
      const id: string = await boss.work<object>(def.name, options, async ([job]) => {
        if (!job) return
        boss.notifyWorker(id)
        const number = job.retryCount + 1
        const until = Date.now() + def.expireInSeconds * 1000 - SETTLE_MARGIN_MS
        try {
          await def.handler(job.data, { id: job.id, number, last: job.retryCount >= job.retryLimit })
        }
        catch (err) {
          // pg-boss records the failure as this throws, once, without waiting: with Postgres restarting under the job
          // that write was lost and the job stayed "active" until its expiry (15 minutes for a diagnosis)
          await reachable(boss.getDb(), until)
          throw err
        }
      })
      ids.push(id)
    }
  }
  return boss
}

/** A failed try waits for the database at most until this long before its expiry (then pg-boss's expiry takes over). */
const SETTLE_MARGIN_MS = 1000

/** Waits until the database answers, trying again with backoff, or until `until`. */
async function reachable(db: PgBoss.Db, until: number): Promise<void> {
  for (let wait = 250; ; wait = Math.min(wait * 2, 4000)) {
    try {
      await db.executeSql('select 1', [])
      return
    }
    catch {
      if (Date.now() + wait >= until) return
      await new Promise(resolve => setTimeout(resolve, wait))
    }
  }
}

/** Starts the queue and the workers of every registered job type (once; later calls get the same start). */
export function startJobs(): Promise<PgBoss> {
  started ??= boot().catch((err: Error) => {
    started = undefined
    throw err
  })
  return started
}

/**
 * Queues a job and wakes this process's idle workers of its type. With an `id` it is idempotent: a job with that id
 * already queued, running or done is left as it is (returns false), so re-queuing after a restart never doubles
 * work; with a `singletonKey` on a `short` queue, so is one while another of that key waits to run. `startAfter`
 * (seconds) holds it back that long (a periodic job queues its next run so).
 */
export async function enqueueJob(
  name: string, data: object, options: { id?: string, singletonKey?: string, startAfter?: number } = {},
): Promise<boolean> {
  const boss = await startJobs()
  const queued = (await boss.send(name, data, options)) !== null
  if (queued) for (const id of workerIds.get(name) ?? []) boss.notifyWorker(id)
  return queued
}

/** Stops the workers, letting running jobs finish for a few seconds (on shutdown). */
export async function stopJobs(): Promise<void> {
  const boss = await started?.catch(() => undefined)
  started = undefined
  await boss?.stop({ graceful: true, wait: true, timeout: 5000, close: true })
}
