import { sql } from 'drizzle-orm'
import type { Tx } from '../db'
import { rowsJson, rowsOf, uuidArray } from '../db/sql'
import { assessFlakiness, DEFAULT_FLAKY_OPTIONS, type FlakyObservation, type FlakyOptions } from '../analysis/flakiness'
import type { FlakyLabel, TestStatus } from '#shared/constants'
import type { IngestReceipt } from '#shared/types/ingest'
import { useConfig } from '../utils/config'

/**
 * The flakiness rollup on test cases, recomputed inside the ingest transaction for every test whose window
 * changed, from its stored history (the scoring itself is pure, in server/analysis/flakiness.ts).
 */

export type NewlyFlaky = IngestReceipt['newlyFlaky'][number]

/** The configured flakiness window and thresholds (environment), validated once. */
function flakyOptions(): FlakyOptions {
  return { ...DEFAULT_FLAKY_OPTIONS, window: useConfig().flakyWindow }
}

/** Share of failing tests at which a run counts as an infrastructure failure (default 0.5). */
export function infraShare(): number {
  return useConfig().infraFailureShare
}

/** Runs with fewer tests than this are never called infrastructure failures: two of three is not an outage. */
export const INFRA_MIN_TESTS = 10

/** Test cases per history query: keeps the lateral join's parameter and result size bounded. */
const BATCH = 2000

interface HistoryRow {
  test_case_id: string
  result_id: string
  run_id: string
  status: TestStatus
  flaky: boolean
  attempt_count: number
  at: string | Date
  branch: string | null
  commit_sha: string | null
  infra: boolean
  flaky_label: FlakyLabel
  flaky_score: number
}

/**
 * Recomputes the flakiness rollup of these test cases from their newest results and writes the ones that changed.
 * Returns the tests that became flaky.
 */
export async function refreshFlakiness(tx: Tx, testCaseIds: string[], labels: (id: string) => string): Promise<NewlyFlaky[]> {
  if (!testCaseIds.length) return []
  const options = flakyOptions()
  const newly: NewlyFlaky[] = []
  for (let i = 0; i < testCaseIds.length; i += BATCH) {
    const history = await loadHistory(tx, testCaseIds.slice(i, i + BATCH), options.window * 2)
    const updates = [...history].map(([id, e]) => {
      const a = assessFlakiness(e.obs, options)
      if (a.label === 'flaky' && e.label !== 'flaky') newly.push({ testCaseId: id, title: labels(id), score: a.score })
      return {
        id, score: a.score, confidence: a.confidence, label: a.label, evidence: a.evidence,
        last_flake_at: a.lastFlakeAt?.toISOString() ?? null,
        sample: a.sample, retry_passes: a.retryPasses, flips: a.flips, mixed_commits: a.mixedCommits,
      }
    })
    if (!updates.length) continue
    await tx.execute(sql`
      update test_cases tc set
        flaky_score = x.score, flaky_confidence = x.confidence, flaky_label = x.label, flaky_evidence = x.evidence,
        flaky_since = case when x.label <> 'flaky' then null when tc.flaky_label <> 'flaky' then now() else tc.flaky_since end,
        last_flake_at = x.last_flake_at, flaky_sample = x.sample, flaky_retry_passes = x.retry_passes, flaky_flips = x.flips,
        flaky_mixed_commits = x.mixed_commits
      from json_to_recordset(${rowsJson(updates)}::json) as x(id uuid, score real, confidence real, label flaky_label, evidence jsonb,
        last_flake_at timestamptz, sample int, retry_passes int, flips int, mixed_commits int)
      where tc.id = x.id`)
  }
  return newly.sort((a, b) => b.score - a.score || a.title.localeCompare(b.title))
}

/** The newest non-skipped results of each test case (at most `limit`), with its current label and score. */
async function loadHistory(tx: Tx, ids: string[], limit: number) {
  const rows = rowsOf<HistoryRow>(await tx.execute(sql`
      select c.id as test_case_id, r.id as result_id, r.run_id, r.status, r.flaky, r.attempt_count, r.run_started_at as at,
        ru.branch, ru.commit_sha, ru.infra, tc.flaky_label, tc.flaky_score
      from unnest(${uuidArray(ids)}::uuid[]) as c(id)
      join test_cases tc on tc.id = c.id
      cross join lateral (
        select id, run_id, status, flaky, attempt_count, run_started_at from test_results
        where test_case_id = c.id and status <> 'skipped'
        order by run_started_at desc, id desc limit ${limit}
      ) r
      join runs ru on ru.id = r.run_id`))
  const byCase = new Map<string, { label: FlakyLabel, score: number, obs: FlakyObservation[] }>()
  for (const r of rows) {
    const entry = byCase.get(r.test_case_id) ?? { label: r.flaky_label, score: r.flaky_score, obs: [] }
    entry.obs.push({
      resultId: r.result_id, runId: r.run_id, branch: r.branch, commit: r.commit_sha, at: new Date(r.at),
      status: r.status, flaky: r.flaky, attempts: r.attempt_count, infra: r.infra,
    })
    byCase.set(r.test_case_id, entry)
  }
  return byCase
}
