import { sql, type SQL } from 'drizzle-orm'
import type { schema, Db, Tx } from '../db'
import { useDb } from '../db'
import { rowsJson, rowsOf, plainArray } from '../db/sql'
import {
  assessFlakiness, brokenReason, DEFAULT_FLAKY_OPTIONS, labelBranch, labelOfPasses, type FlakyAssessment, type FlakyObservation,
  type FlakyOptions, type RunRef,
} from '../analysis/flakiness'
import type { FlakyLabel, TestStatus } from '#shared/constants'
import type { IngestReceipt } from '#shared/types/ingest'
import { useConfig } from '../utils/config'
import { stepDone } from '../utils/steps'

/**
 * The flakiness rollup on test cases, recomputed inside the ingest transaction for every test whose window
 * changed, from its stored history (the scoring itself is pure, in server/analysis/flakiness.ts). The label, its
 * reason, failingSince and lastPassed are stored with it, so reads never walk a history.
 */

export type NewlyFlaky = IngestReceipt['newlyFlaky'][number]

/** The configured flakiness window and thresholds (environment), validated once. */
function flakyOptions(): FlakyOptions {
  return { ...DEFAULT_FLAKY_OPTIONS, window: useConfig().flakyWindow }
}

/**
 * Whether a test case's rollup can change with any new result, a pass included (a `test_cases` row, as SQL): it is not
 * labelled yet, is labelled anything but stable, scored above zero, or has a failure in its window (its next pass may
 * end a flip or pass on a commit that failed). Ingest rescores such a test whatever its result; any other test only
 * when it fails or flakes.
 */
export const UNDER_WATCH = sql`(flaky_label <> 'stable' or flaky_score > 0 or flaky_window_failures > 0 or flaky_reason is null)`

/** Share of failing tests at which a run counts as an infrastructure failure (default 0.5). */
export function infraShare(): number {
  return useConfig().infraFailureShare
}

/** Test cases per history query: keeps the lateral join's parameter and result size bounded. */
const BATCH = 2000
/** How far back (in results, every branch) the label's branch is looked for when the newest results hold too few of it. */
const BRANCH_SCAN = 20

interface CaseRow {
  id: string
  flaky_label: FlakyLabel
  flaky_branch: string | null
  failing_since: RunRef | null
  last_passed: RunRef | null
  default_branch: string
}

interface CaseHistory {
  stored: CaseRow
  obs: FlakyObservation[]
  /** Fewer results than asked for came back: this is the whole counted history. */
  complete: boolean
}

/**
 * Recomputes the flakiness rollup of these test cases from their newest results and writes them.
 * Returns the tests that became flaky.
 */
export async function refreshFlakiness(tx: Tx, testCaseIds: string[], labels: (id: string) => string): Promise<NewlyFlaky[]> {
  if (!testCaseIds.length) return []
  const options = flakyOptions()
  const newly: NewlyFlaky[] = []
  const runs = new Map<string, RunFacts>()
  for (let i = 0; i < testCaseIds.length; i += BATCH) {
    const quiet = await labelQuiet(tx, testCaseIds.slice(i, i + BATCH), options)
    stepDone('quiet')
    const rest = testCaseIds.slice(i, i + BATCH).filter(id => !quiet.has(id))
    if (!rest.length) continue
    const history = await loadHistory(tx, rest, options.window * 2, runs)
    await loadLabelBranch(tx, history, options.window, runs)
    const assessed = [...history].map(([id, h]) => ({
      id, h, a: assessFlakiness(h.obs, options, { defaultBranch: h.stored.default_branch, complete: h.complete }),
    }))
    await closeOpenStreaks(tx, assessed)
    const updates = assessed.map(({ id, h, a }) => {
      if (a.label === 'flaky' && h.stored.flaky_label !== 'flaky') newly.push({ testCaseId: id, title: labels(id), score: a.score })
      return {
        id, score: a.score, confidence: a.confidence, label: a.label, evidence: a.evidence,
        last_flake_at: a.lastFlakeAt?.toISOString() ?? null,
        sample: a.sample, retry_passes: a.retryPasses, flips: a.flips, mixed_commits: a.mixedCommits, window_failures: a.windowFailures,
        reason: a.reason, branch: a.branch, failing_since: a.failingSince, last_passed: a.lastPassed,
      }
    })
    if (!updates.length) continue
    // a test whose assessment came out as stored keeps its row: a test broken for longer than its loaded history is
    // assessed the same upload after upload, and rewriting it was a new row version each time
    await tx.execute(sql`
      update test_cases tc set
        flaky_score = x.score, flaky_confidence = x.confidence, flaky_label = x.label, flaky_evidence = x.evidence,
        flaky_since = case when x.label <> 'flaky' then null when tc.flaky_label <> 'flaky' then now() else tc.flaky_since end,
        broken_since = case when x.label <> 'broken' then null when tc.flaky_label <> 'broken' then now() else tc.broken_since end,
        last_flake_at = x.last_flake_at, flaky_sample = x.sample, flaky_retry_passes = x.retry_passes, flaky_flips = x.flips,
        flaky_mixed_commits = x.mixed_commits, flaky_window_failures = x.window_failures, flaky_reason = x.reason, flaky_branch = x.branch,
        failing_since = x.failing_since, last_passed = x.last_passed
      from json_to_recordset(${rowsJson(updates)}::json) as x(id uuid, score real, confidence real, label flaky_label, evidence jsonb,
        last_flake_at timestamptz, sample int, retry_passes int, flips int, mixed_commits int, window_failures int, reason text, branch text,
        failing_since jsonb, last_passed jsonb)
      where tc.id = x.id
        and (tc.flaky_score, tc.flaky_confidence, tc.flaky_label, tc.flaky_evidence, tc.last_flake_at, tc.flaky_sample,
          tc.flaky_retry_passes, tc.flaky_flips, tc.flaky_mixed_commits, tc.flaky_window_failures, tc.flaky_reason, tc.flaky_branch,
          tc.failing_since, tc.last_passed)
        is distinct from (x.score, x.confidence, x.label, x.evidence, x.last_flake_at, x.sample, x.retry_passes, x.flips,
          x.mixed_commits, x.window_failures, x.reason, x.branch, x.failing_since, x.last_passed)`)
    stepDone('scores')
  }
  return newly.sort((a, b) => b.score - a.score || a.title.localeCompare(b.title))
}

/**
 * (Ids are matched with `= any(array)`, never by joining unnest(array): with stale statistics, as PGlite has without
 * autovacuum, that join became a nested loop of every test case by every id, 3 s per 2,000 ids at 9,000 tests.)
 *
 * Tests that never failed nor flaked (new ones, mostly: every test of a first upload) are labelled from a count of
 * their results on the label branch, in SQL: loading their histories cost 5 s per 10,000 tests on PGlite.
 * Returns the ids it labelled.
 */
async function labelQuiet(tx: Tx, ids: string[], options: FlakyOptions): Promise<Set<string>> {
  const rows = await countPasses(tx, sql`tc.id = any(${plainArray(ids)}::uuid[])
    and (tc.flaky_reason is null or tc.flaky_label = 'new') and tc.failed_runs = 0 and tc.flaky_runs = 0`, options)
  if (!rows.length) return new Set()
  const updates = rows.map(({ id, branch, sample, label, reason }) => ({ id, branch, sample, label, reason }))
  // a test whose count did not move (skipped here, as an always-skipped test is in every upload, or in an infrastructure
  // run) keeps its row: rewriting the same values would be a new row version per upload. The statement is
  // refreshFlakiness' update with a quiet test's zeros written in: sending those zeros as JSON for the 10,000 tests of
  // a project's second upload made this step 188–196 → 225–254 ms.
  await tx.execute(sql`
    update test_cases tc set
      flaky_label = x.label, flaky_reason = x.reason, flaky_branch = x.branch, flaky_sample = x.sample, flaky_score = 0,
      flaky_confidence = 0, flaky_evidence = '[]'::jsonb, flaky_since = null, last_flake_at = null, flaky_retry_passes = 0,
      flaky_flips = 0, flaky_mixed_commits = 0, flaky_window_failures = 0, failing_since = null, last_passed = null
    from json_to_recordset(${rowsJson(updates)}::json) as x(id uuid, label flaky_label, reason text, branch text, sample int)
    where tc.id = x.id and (tc.flaky_label, tc.flaky_reason, tc.flaky_branch, tc.flaky_sample, tc.flaky_score, tc.flaky_confidence,
      tc.flaky_evidence, tc.flaky_since, tc.last_flake_at, tc.flaky_retry_passes, tc.flaky_flips, tc.flaky_mixed_commits,
      tc.flaky_window_failures, tc.failing_since, tc.last_passed)
    is distinct from (x.label, x.reason, x.branch, x.sample, 0::real, 0::real, '[]'::jsonb, null::timestamptz, null::timestamptz,
      0, 0, 0, 0, null::jsonb, null::jsonb)`)
  return new Set(rows.map(r => r.id))
}

interface PassCount extends Pick<FlakyAssessment, 'label' | 'reason'> {
  id: string
  branch: string | null
  /** Runs on `branch`, and counted results on every branch, among the newest read. */
  runs: number
  sample: number
  /** Failed or flaky results among them. */
  failed: number
}

/**
 * The label of each test case matching `cases` (a condition on test_cases tc) from a count of its results, for tests
 * without failures: its runs on the label branch (the default branch when it ran there, else its busiest) among its
 * newest twice-the-window counted results. Ingest labels quiet tests with it (labelQuiet), and a read of one stable
 * test recounts with it (withCurrentCount).
 */
async function countPasses(db: Db, cases: SQL, options: FlakyOptions): Promise<PassCount[]> {
  const rows = rowsOf<{ id: string, branch: string | null, runs: number | null, counted: number | null, failed: number | null }>(await db.execute(sql`
    select q.id, coalesce(h.branch, q.default_branch) as branch, h.runs, h.counted, h.failed
    from (select tc.id, p.default_branch from test_cases tc join projects p on p.id = tc.project_id where ${cases}) q
    left join lateral (
      select ru.branch, count(*)::int as runs, (sum(count(*)) over ())::int as counted,
        (sum(count(*) filter (where r.status in ('failed', 'errored') or r.flaky)) over ())::int as failed
      from (
        select run_id, run_started_at, status, flaky, infra from test_results where test_case_id = q.id and status <> 'skipped'
        order by run_started_at desc, id desc limit ${options.window * 2}
      ) r join runs ru on ru.id = r.run_id
      where not ru.infra and not r.infra
      group by ru.branch
      order by ru.branch is not distinct from q.default_branch desc, count(*) desc, max(r.run_started_at) desc limit 1
    ) h on true`))
  return rows.map(r => ({
    id: r.id, branch: r.branch, runs: r.runs ?? 0, sample: Math.min(r.counted ?? 0, options.window), failed: r.failed ?? 0,
    ...labelOfPasses(r.runs ?? 0, r.branch, options),
  }))
}

type QuietView = Pick<typeof schema.testCases.$inferSelect, 'id' | 'flakyLabel' | 'flakyScore' | 'flakyWindowFailures' | 'flakySample' | 'flakyReason' | 'flakyBranch'>

/**
 * A stable test's reason and sample as of now, for a read of that one test. Ingest counts a test's passes while it is
 * `new` and leaves it alone once it is stable and has no failure in its window: counting on would rewrite every
 * passing test's row on each of its next 25 uploads. So such a row still says "no failure in 5 runs" after 60; when
 * its sample is short of the window it is recounted here (one bounded index read), the way ingest would count it.
 */
export async function withCurrentCount<T extends QuietView>(db: Db, t: T): Promise<T> {
  const options = flakyOptions()
  if (t.flakyLabel !== 'stable' || t.flakyScore > 0 || t.flakyWindowFailures > 0 || t.flakySample >= options.window) return t
  const [count] = await countPasses(db, sql`tc.id = ${t.id}::uuid`, options)
  // a failure in the window that the stored row does not hold yet (an upload waiting for its turn read the watch list
  // before the one that failed committed; the next upload scores it) is not made into a pass here
  if (!count?.runs || count.failed || count.label !== 'stable') return t
  return { ...t, flakyReason: count.reason, flakyBranch: count.branch, flakySample: count.sample }
}

/** What a history needs of a run, read once per run instead of once per result. */
interface RunFacts { branch: string | null, commit: string | null, at: Date, infra: boolean, line: string }

/**
 * A test's results as one text, newest first, comma-separated: `result run status flaky infra passedEarlier attempts`
 * (the flags as 0 or 1). Text built by string_agg costs Postgres half what the same values cost as JSON, and the
 * run's own columns (branch, commit, start, infra) are read once per run by `withRunFacts` rather than repeated on each
 * of up to 60 results per test.
 */
const PACKED_RESULTS = sql`string_agg(concat_ws(' ', r.id, r.run_id, r.status, r.flaky::int, r.infra::int, r.passed_earlier::int, r.attempt_count), ',' order by r.run_started_at desc, r.id desc)`

const UUID_CHARS = 36
const NO_TIME = new Date(0)

/**
 * One packed history (see PACKED_RESULTS) read into observations, newest first, by position (uuids print as 36
 * characters): splitting it into arrays first took twice as long. The run's facts are filled in by `withRunFacts`.
 */
function readResults(text: string | null): FlakyObservation[] {
  const out: FlakyObservation[] = []
  if (!text) return out
  for (let at = 0; at < text.length;) {
    const run = at + UUID_CHARS + 1
    const status = run + UUID_CHARS + 1
    const flaky = text.indexOf(' ', status) + 1
    const comma = text.indexOf(',', flaky)
    const end = comma < 0 ? text.length : comma
    // the result's own outage mark (test_results.infra); withRunFacts adds its run's
    out.push({
      resultId: text.slice(at, run - 1), runId: text.slice(run, status - 1), status: text.slice(status, flaky - 1) as TestStatus,
      flaky: text.charCodeAt(flaky) === 49 /* 1 */, infra: text.charCodeAt(flaky + 2) === 49,
      passedEarlier: text.charCodeAt(flaky + 4) === 49, attempts: Number(text.slice(flaky + 6, end)),
      branch: null, commit: null, at: NO_TIME,
    })
    at = end + 1
  }
  return out
}

/**
 * Each history with its observations' run facts filled in, reading those of runs that `runs` does not hold yet. A run
 * retention deleted after the history was read (a statement of its own) takes its results with it.
 */
async function withRunFacts(tx: Tx, histories: FlakyObservation[][], runs: Map<string, RunFacts>): Promise<FlakyObservation[][]> {
  const wanted = new Set<string>()
  for (const obs of histories) for (const o of obs) if (!runs.has(o.runId)) wanted.add(o.runId)
  if (wanted.size) {
    type Row = { id: string, branch: string | null, commit_sha: string | null, started_at: string | Date, infra: boolean, line: string }
    const rows = rowsOf<Row>(await tx.execute(sql`
      select id, branch, commit_sha, started_at, infra, concat_ws(chr(1), coalesce(job, ''), coalesce(environment, '')) as line
      from runs where id = any(${plainArray([...wanted])}::uuid[])`))
    for (const r of rows) {
      runs.set(r.id, { branch: r.branch, commit: r.commit_sha, at: new Date(r.started_at), infra: r.infra, line: r.line })
    }
  }
  return histories.map(obs => obs.filter((o) => {
    const run = runs.get(o.runId)
    if (!run) return false
    o.branch = run.branch
    o.commit = run.commit
    o.at = run.at
    o.infra ||= run.infra
    o.line = run.line
    return true
  }))
}

/**
 * The newest non-skipped results of each test case (at most `limit`), with what is stored about it; every id appears.
 * One row per test with its results packed as one text (PACKED_RESULTS): a row per result repeated the test's six
 * columns on each of up to 60 rows, and decoding those values was most of the step's time on the request thread.
 */
async function loadHistory(tx: Tx, ids: string[], limit: number, runs: Map<string, RunFacts>): Promise<Map<string, CaseHistory>> {
  const rows = rowsOf<CaseRow & { history: string | null }>(await tx.execute(sql`
      select tc.id, tc.flaky_label, tc.flaky_branch, tc.failing_since, tc.last_passed, p.default_branch,
        (select ${PACKED_RESULTS} from (
          select id, run_id, status, flaky, infra, passed_earlier, attempt_count, run_started_at from test_results
          where test_case_id = tc.id and status <> 'skipped'
          order by run_started_at desc, id desc limit ${limit}
        ) r) as history
      from test_cases tc
      join projects p on p.id = tc.project_id
      where tc.id = any(${plainArray(ids)}::uuid[])`))
  const read = rows.map(r => readResults(r.history))
  const results = await withRunFacts(tx, read, runs)
  return new Map(rows.map((r, i) => [r.id, { stored: r, obs: results[i]!, complete: read[i]!.length < limit }]))
}

/**
 * When the newest results hold fewer than `window` of the label's branch (feature branches ran far more often),
 * adds up to `window` older results of that branch from a bounded look further back.
 */
async function loadLabelBranch(tx: Tx, history: Map<string, CaseHistory>, window: number, runs: Map<string, RunFacts>): Promise<void> {
  const wanted = [...history].flatMap(([id, h]) => {
    if (h.complete) return []
    const counted = h.obs.filter(o => !o.infra).sort((a, b) => b.at.getTime() - a.at.getTime())
    const branch = labelBranch(counted, h.stored.default_branch)
    return counted.filter(o => o.branch === branch).length < window ? [{ id, branch }] : []
  })
  if (!wanted.length) return
  const rows = rowsOf<{ id: string, history: string | null }>(await tx.execute(sql`
      select c.id, (select ${PACKED_RESULTS} from (
        select h.id, h.run_id, h.status, h.flaky, h.infra, h.passed_earlier, h.attempt_count, h.run_started_at
        from (
          select id, run_id, status, flaky, infra, passed_earlier, attempt_count, run_started_at from test_results
          where test_case_id = c.id and status <> 'skipped' order by run_started_at desc, id desc limit ${window * BRANCH_SCAN}
        ) h join runs ru on ru.id = h.run_id
        where ru.branch is not distinct from c.branch and not ru.infra and not h.infra
        order by h.run_started_at desc, h.id desc limit ${window}
      ) r) as history
      from json_to_recordset(${rowsJson(wanted)}::json) as c(id uuid, branch text)`))
  const results = await withRunFacts(tx, rows.map(r => readResults(r.history)), runs)
  rows.forEach((r, i) => {
    const h = history.get(r.id)!
    const known = new Set(h.obs.map(o => o.resultId))
    for (const o of results[i]!) if (!known.has(o.resultId)) h.obs.push(o)
  })
}

type Assessed = { id: string, h: CaseHistory, a: FlakyAssessment }

/**
 * A failing streak older than the loaded results: keeps the stored start when it is still the same streak (the
 * usual case, one run later), else finds the last pass on that branch before it (one walk, once per streak).
 */
async function closeOpenStreaks(tx: Tx, assessed: Assessed[]): Promise<void> {
  const open = assessed.filter(({ a }) => a.label === 'broken' && a.streakOpen)
  const lookup: Assessed[] = []
  for (const x of open) {
    const { stored } = x.h
    const since = stored.failing_since
    if (stored.flaky_label === 'broken' && stored.flaky_branch === x.a.branch && since && since.startedAt <= x.a.failingSince!.startedAt) {
      x.a.failingSince = since
      x.a.lastPassed = stored.last_passed
    }
    else lookup.push(x)
  }
  if (lookup.length) {
    const found = await findStreakStarts(tx, lookup.map(({ id, a }) => ({ id, branch: a.branch, before_at: a.failingSince!.startedAt })))
    for (const x of lookup) {
      const f = found.get(x.id)
      if (f?.failingSince) x.a.failingSince = f.failingSince
      x.a.lastPassed = f?.lastPassed ?? null
    }
  }
  for (const { a } of open) a.reason = brokenReason(a.streak, a.branch, a.failingSince, true)
}

interface StreakRow {
  id: string
  lp_run: string | null
  lp_commit: string | null
  lp_at: string | Date | null
  fs_run: string | null
  fs_commit: string | null
  fs_at: string | Date | null
}

/** The last pass on the branch before `before` and the first failure after it (outside infrastructure runs). */
async function findStreakStarts(tx: Tx, wanted: { id: string, branch: string | null, before_at: string }[]) {
  const rows = rowsOf<StreakRow>(await tx.execute(sql`
    select c.id, lp.run_id as lp_run, lp.commit_sha as lp_commit, lp.run_started_at as lp_at,
      fs.run_id as fs_run, fs.commit_sha as fs_commit, fs.run_started_at as fs_at
    from json_to_recordset(${rowsJson(wanted)}::json) as c(id uuid, branch text, before_at timestamptz)
    left join lateral (
      select r.id, r.run_id, r.run_started_at, ru.commit_sha from test_results r join runs ru on ru.id = r.run_id
      where r.test_case_id = c.id and r.status = 'passed' and r.run_started_at < c.before_at
        and ru.branch is not distinct from c.branch and not ru.infra and not r.infra
      order by r.run_started_at desc, r.id desc limit 1
    ) lp on true
    left join lateral (
      select r.run_id, r.run_started_at, ru.commit_sha from test_results r join runs ru on ru.id = r.run_id
      where r.test_case_id = c.id and r.status in ('failed', 'errored') and r.run_started_at <= c.before_at
        and (lp.id is null or (r.run_started_at, r.id) > (lp.run_started_at, lp.id))
        and ru.branch is not distinct from c.branch and not ru.infra and not r.infra
      order by r.run_started_at, r.id limit 1
    ) fs on true`))
  const ref = (runId: string | null, commit: string | null, at: string | Date | null): RunRef | null =>
    runId && at ? { runId, commit, startedAt: new Date(at).toISOString() } : null
  return new Map(rows.map(r => [r.id, {
    lastPassed: ref(r.lp_run, r.lp_commit, r.lp_at),
    failingSince: ref(r.fs_run, r.fs_commit, r.fs_at),
  }]))
}

/**
 * Labels test cases that carry no reason yet (rows labelled before reasons existed), in small transactions: run at
 * start, so an upgraded database never shows a test that failed 3 of 3 runs as `stable`. Returns how many.
 */
export async function relabelUnexplained(): Promise<number> {
  const db = await useDb()
  let done = 0
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const ids = rowsOf<{ id: string }>(await db.execute(sql`
      select id from test_cases where flaky_reason is null and id > ${after}::uuid order by id limit ${BATCH}`))
    if (!ids.length) return done
    await db.transaction(tx => refreshFlakiness(tx, ids.map(r => r.id), () => ''))
    done += ids.length
    after = ids[ids.length - 1]!.id
  }
}
