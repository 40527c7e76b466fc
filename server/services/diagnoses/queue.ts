import { enqueueJob, registerJob } from '../jobs'
import { diagnoseOne, findStaleClusterIds, type DiagnoseOutcome } from './versions'

/**
 * Diagnoses run on the job queue (pg-boss, in our database): an upload queues one job per cluster it touched, and a
 * job queued while another of the same cluster waits to run is that one, so several app instances on one Postgres
 * diagnose each cluster once, and a restart loses nothing. Within a process, one diagnosis per cluster at a time: a
 * call for a busy cluster runs once after it (so it sees evidence that arrived meanwhile), and at most two clusters
 * at once (an LLM call can take seconds). Versions are written under the cluster's row lock (./versions.ts), so a
 * diagnosis of the same evidence on another instance at the same moment adds no second version.
 */

const DIAGNOSIS_JOB = 'diagnosis'

const running = new Map<string, Promise<DiagnoseOutcome>>()
const queued = new Map<string, { force: boolean, promise: Promise<DiagnoseOutcome> }>()
const MAX_PARALLEL = 2
let active = 0
const waiting: (() => void)[] = []

async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (active >= MAX_PARALLEL) await new Promise<void>(resolve => waiting.push(resolve))
  active++
  try {
    return await fn()
  }
  finally {
    active--
    waiting.shift()?.()
  }
}

function start(clusterId: string, force: boolean): Promise<DiagnoseOutcome> {
  const promise = withSlot(() => diagnoseOne(clusterId, force)).finally(() => running.delete(clusterId))
  running.set(clusterId, promise)
  return promise
}

/** Runs a diagnosis of this cluster now, or once after the one running (joining a call already waiting). May throw. */
export function scheduleDiagnosis(clusterId: string, force: boolean): Promise<DiagnoseOutcome> {
  const next = queued.get(clusterId)
  if (next) {
    next.force ||= force
    return next.promise
  }
  const current = running.get(clusterId)
  if (!current) return start(clusterId, force)
  const entry = { force, promise: null as unknown as Promise<DiagnoseOutcome> }
  entry.promise = current.catch(() => undefined).then(() => {
    queued.delete(clusterId)
    return start(clusterId, entry.force)
  })
  queued.set(clusterId, entry)
  return entry.promise
}

/** Registers the diagnosis job (the jobs plugin does, at start-up). A try that throws is retried twice. */
export function registerDiagnosisJob(): void {
  registerJob<{ clusterId: string }>({
    name: DIAGNOSIS_JOB, policy: 'short', retryLimit: 2, retryDelay: 30, concurrency: MAX_PARALLEL,
    // the longest LLM timeout is 10 minutes: a try still running after 15 died with its process
    expireInSeconds: 15 * 60,
    handler: async ({ clusterId }) => {
      await scheduleDiagnosis(clusterId, false)
    },
  })
}

/**
 * Queues a diagnosis of each cluster, run where new evidence arrived since its last version. System level: ingest
 * and merges call it after their transaction commits. Never throws (a queue that cannot be reached is logged; the
 * catch-up job queues what it missed: services/catch-up.ts).
 */
export async function diagnoseClusters(clusterIds: string[]): Promise<void> {
  for (const id of new Set(clusterIds)) {
    await enqueueJob(DIAGNOSIS_JOB, { clusterId: id }, { singletonKey: id })
      .catch((err: Error) => console.error(`[diagnosis] cluster ${id} was not queued: ${err.message}`))
  }
}

/**
 * Live clusters whose latest diagnosis predates their current failures, or that have none: what a queue missed (a
 * re-clustering, a merge, a database restored from a backup). `queue` puts them on the job queue (the catch-up at
 * start, once across instances) and returns how many; otherwise they are diagnosed here and now (the demo loader
 * waits for them). Throws only when the database cannot be read.
 */
export async function diagnoseStaleClusters(opts: { queue: true }): Promise<number>
export async function diagnoseStaleClusters(): Promise<DiagnoseOutcome[]>
export async function diagnoseStaleClusters(opts: { queue?: boolean } = {}): Promise<number | DiagnoseOutcome[]> {
  const ids = await findStaleClusterIds()
  if (opts.queue) {
    await diagnoseClusters(ids)
    return ids.length
  }
  return Promise.all(ids.map(id => scheduleDiagnosis(id, false).catch((err: Error) => {
    console.error(`[diagnosis] cluster ${id}: ${err.message}`)
    return { clusterId: id, status: 'failed', reason: err.message } as DiagnoseOutcome
  })))
}
