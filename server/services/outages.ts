import { inArray } from 'drizzle-orm'
import { schema, type Tx } from '../db'
import { isInfrastructureRun, mostlyFailing, type RunFailures } from '../analysis/flakiness'
import { infraShare } from './flakiness'

/** Outages (isInfrastructureRun, analysis/flakiness.ts): a run as a whole, from its stored results (runs.infra). */

const { failureClusters } = schema

/** Ids per statement: a uuid array of this many is one parameter, well under what a statement holds. */
const IDS = 10_000

/**
 * Whether a run's stored results are an infrastructure failure: its failures counted by cluster (null: without one),
 * each cluster read by its sample error, which is loaded only once most of the run failed.
 */
export async function isOutage(tx: Tx, run: Omit<RunFailures, 'causes'>, failuresByCluster: Map<string | null, number>): Promise<boolean> {
  if (!mostlyFailing(run, infraShare())) return false
  const ids = [...failuresByCluster.keys()].filter((id): id is string => id !== null)
  const samples = new Map<string, { message: string | null, stack: string | null }>()
  for (let i = 0; i < ids.length; i += IDS) {
    const rows = await tx.select({ id: failureClusters.id, message: failureClusters.sampleMessage, stack: failureClusters.sampleStack })
      .from(failureClusters).where(inArray(failureClusters.id, ids.slice(i, i + IDS)))
    for (const r of rows) samples.set(r.id, { message: r.message, stack: r.stack })
  }
  const none = { message: null, stack: null }
  const causes = [...failuresByCluster].map(([id, failures]) => ({ failures, ...(id ? samples.get(id) ?? none : none) }))
  return isInfrastructureRun({ ...run, causes }, infraShare())
}
