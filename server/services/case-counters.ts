import { sql } from 'drizzle-orm'
import type { Tx } from '../db'
import type { runs } from '../db/schema'
import { CHUNK, rowsJson } from '../db/sql'
import { FAILING, type MergedResult } from '../ingest/merge'
import type { ParsedResult } from '../ingest/types'
import type { OutageCount } from './outages'

/**
 * The test cases' counters an upload moves (failed_runs, flaky_runs, their outage parts, last_failure_at): what each
 * merged result changes against the run's earlier result of the test, and one write per chunk of tests.
 */

type RunRow = typeof runs.$inferSelect

export interface CounterDelta { id: string, failed: number, flaky: number, failing: boolean, outageFailed?: number, outageFlaky?: number }

/** Counters change only where something failed or flaked, or where a shard merge changed an earlier outcome. */
export function counterDeltas(
  merged: MergedResult[], previous: Map<string, Pick<ParsedResult, 'status' | 'flaky'>>, caseIds: Map<string, string>,
): CounterDelta[] {
  return merged.flatMap((m) => {
    const before = previous.get(m.identityHash)
    const failing = FAILING.has(m.result.status)
    const failed = Number(failing) - Number(before ? FAILING.has(before.status) : 0)
    const flaky = Number(m.result.flaky) - Number(before?.flaky ?? 0)
    return failed || flaky || failing ? [{ id: caseIds.get(m.identityHash)!, failed, flaky, failing }] : []
  })
}

/**
 * The deltas with the outage counts of their tests (outageCounts) added: one write of each test's counters. A test whose
 * outage count moves failed or flaked here or changed its result, so it has a delta; one that had none gets its own.
 */
export function withOutageCounts(deltas: CounterDelta[], counts: Map<string, OutageCount>): CounterDelta[] {
  if (!counts.size) return deltas
  const out = deltas.map((d) => {
    const c = counts.get(d.id)
    if (!c) return d
    counts.delete(d.id)
    return { ...d, outageFailed: c.failed, outageFlaky: c.flaky }
  })
  for (const c of counts.values()) out.push({ id: c.id, failed: 0, flaky: 0, failing: false, outageFailed: c.failed, outageFlaky: c.flaky })
  return out
}

/**
 * The test cases' failure and flaky-pass counters, for the deltas of every slice of the upload, with the part of them
 * that were outages (test_cases.outage_failed_runs and outage_flaky_runs, see ./outages.ts). `last_failure_at`: its
 * last failure for good, so a re-run that turns this run's into a pass on retry takes it back to its other runs'.
 */
export async function updateCaseCounters(tx: Tx, run: RunRow, deltas: CounterDelta[]) {
  // outage counts only where they move: most deltas carry none
  const rowOf = ({ outageFailed, outageFlaky, ...d }: CounterDelta) =>
    outageFailed || outageFlaky ? { ...d, outage_failed: outageFailed, outage_flaky: outageFlaky } : d
  const at = run.startedAt.toISOString()
  for (let i = 0; i < deltas.length; i += CHUNK) {
    await tx.execute(sql`
      update test_cases tc set
        failed_runs = tc.failed_runs + x.failed,
        flaky_runs = tc.flaky_runs + x.flaky,
        outage_failed_runs = tc.outage_failed_runs + coalesce(x.outage_failed, 0),
        outage_flaky_runs = tc.outage_flaky_runs + coalesce(x.outage_flaky, 0),
        last_failure_at = case
          when x.failing then greatest(tc.last_failure_at, ${at}::timestamptz)
          when x.failed < 0 then (select max(r.run_started_at) from test_results r
            where r.test_case_id = tc.id and r.status in ('failed', 'errored') and r.run_id <> ${run.id})
          else tc.last_failure_at end
      from json_to_recordset(${rowsJson(deltas.slice(i, i + CHUNK).map(rowOf))}::json)
        as x(id uuid, failed int, flaky int, failing boolean, outage_failed int, outage_flaky int)
      where tc.id = x.id`)
  }
}
