import { diagnoseOne, findStaleClusterIds, type DiagnoseOutcome } from './versions'

/**
 * In-process scheduling: one diagnosis per cluster at a time, a call for a busy cluster runs once after it (so it
 * sees evidence that arrived meanwhile), and at most two clusters at once (an LLM call can take seconds).
 */

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

/**
 * Diagnoses these clusters where new evidence arrived since their last version (or always, with `force`). System
 * level: ingest calls it after its transaction commits. Safe to call concurrently and repeatedly; never throws.
 */
export async function diagnoseClusters(clusterIds: string[], opts: { force?: boolean } = {}): Promise<DiagnoseOutcome[]> {
  const ids = [...new Set(clusterIds)]
  return Promise.all(ids.map(id => scheduleDiagnosis(id, !!opts.force).catch((err: Error) => {
    console.error(`[diagnosis] cluster ${id}: ${err.message}`)
    return { clusterId: id, status: 'failed', reason: err.message } as DiagnoseOutcome
  })))
}

/**
 * Diagnoses every live cluster whose latest diagnosis predates its current failures, or that has none: the
 * catch-up after a restart, a re-clustering or a bulk load. Throws only when the database cannot be read.
 */
export async function diagnoseStaleClusters(): Promise<DiagnoseOutcome[]> {
  return diagnoseClusters(await findStaleClusterIds())
}
