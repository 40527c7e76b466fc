import { and, desc, eq, isNull, sql } from 'drizzle-orm'
import { useDb, schema, type Db, type Tx } from '../db'
import { assembleClusterContext, pickRepresentatives, signatureSimilarity, type ClusterEvidence, type EvidenceResult, type EvidenceStep } from '../analysis/context'
import { diagnoseContext } from '../analysis/diagnose'
import { basisOf, mergeBasis, newEvidence, type EvidenceBasis, type StoredBasis } from '../analysis/diagnosis-basis'
import type { ClusterStatus, DiagnosisEngine, FailureCategory, FlakyLabel, TestStatus } from '../../shared/constants'
import type { ContextQuery, DiagnosisFeedbackBody, UsageQuery } from '../../shared/schemas/diagnosis'
import type {
  ClusterContext, ClusterDiagnosis, ContextRunRef, DiagnosisDetail, DiagnosisEvidenceItem, DiagnosisUsage, DiagnosisUsageDay,
} from '../../shared/types/diagnosis'
import { useConfig } from '../utils/config'
import { notFound } from '../utils/errors'
import { authorize } from './policy'
import { loadLlmConfig } from './llm/settings'
import { requestLlmDiagnosis } from './llm'
import { inScope, systemScope, type Scope } from './scope'

/**
 * Diagnoses of failure clusters: the context bundle (loaded here, assembled in server/analysis/context.ts), the
 * rule engine and the optional LLM, versioned storage, feedback and usage. A new version is computed only when
 * new evidence arrived (a new error variant, a new affected test) or when someone asks.
 */

const { diagnoses, diagnosisFeedback, failureClusters, projects } = schema

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows)
const iso = (d: Date | string | null | undefined): string => d == null ? '' : (d instanceof Date ? d : new Date(d)).toISOString()
const isoOrNull = (d: Date | string | null | undefined): string | null => d == null ? null : iso(d)
const uuids = (ids: string[]) => `{${ids.join(',')}}`

const contextBudget = () => useConfig().contextTokens

// ---------------------------------------------------------------------------------------------- context loading

type ClusterRow = typeof failureClusters.$inferSelect

async function findCluster(db: Db, scope: Scope, clusterId: string): Promise<(ClusterRow & { projectSlug: string }) | null> {
  const [row] = await db.select({ c: failureClusters, slug: projects.slug }).from(failureClusters)
    .innerJoin(projects, eq(projects.id, failureClusters.projectId))
    .where(and(eq(failureClusters.id, clusterId), inScope(scope, failureClusters.projectId), isNull(failureClusters.mergedIntoId))).limit(1)
  return row ? { ...row.c, projectSlug: row.slug } : null
}

const testLabel = (suitePath: string[] | null, title: string) => [...(suitePath ?? []), title].join(' › ')

interface RunRefRow { id: string, branch: string | null, commit_sha: string | null, commit_message: string | null, started_at: string | Date, build_url: string | null }
const runRef = (r: RunRefRow): ContextRunRef => ({ runId: r.id, branch: r.branch, commit: r.commit_sha, commitMessage: r.commit_message, startedAt: iso(r.started_at), buildUrl: r.build_url })

interface SampleRow {
  id: string
  run_id: string
  test_case_id: string
  status: TestStatus
  attempt_count: number
  run_started_at: string | Date
  error_message: string | null
  error_stack: string | null
  stdout: string | null
  stderr: string | null
  steps: EvidenceStep[] | null
  title: string
  suite_path: string[] | null
  file: string | null
  variant: string | null
  branch: string | null
  commit_sha: string | null
}

interface RunStatRow {
  id: string
  started_at: string | Date
  branch: string | null
  commit_sha: string | null
  total: number
  skipped: number
  failed: number
  errored: number
  infra: boolean
  hits: number
  total_runs: number
  infra_hits: number | null
}

interface AffectedRow {
  id: string
  title: string
  suite_path: string[] | null
  file: string | null
  variant: string | null
  flaky_label: FlakyLabel
  flaky_score: number
  flaky_confidence: number
  failed_runs: number
  flaky_runs: number
  last_flake_at: string | Date | null
  n: number
  last: string | Date
  total: number
}

/** Everything the context bundle needs about one cluster, read with a handful of indexed queries. */
async function loadClusterEvidence(db: Db, c: ClusterRow & { projectSlug: string }): Promise<ClusterEvidence> {
  const id = c.id
  const candidates = rowsOf<{ id: string, test_case_id: string, message: string | null, at: string | Date }>(await db.execute(sql`
    (select id, test_case_id, left(error_message, 400) as message, run_started_at as at from test_results
      where cluster_id = ${id} order by run_started_at desc, id desc limit 40)
    union all
    (select id, test_case_id, left(error_message, 400), run_started_at from test_results
      where cluster_id = ${id} order by run_started_at asc, id asc limit 1)`))
  const picked = pickRepresentatives(candidates.map(r => ({ resultId: r.id, testCaseId: r.test_case_id, message: r.message, at: iso(r.at) })))

  const sampleRows = picked.length
    ? rowsOf<SampleRow>(await db.execute(sql`
        select r.id, r.run_id, r.test_case_id, r.status, r.attempt_count, r.run_started_at, left(r.error_message, 20000) as error_message,
          left(r.error_stack, 20000) as error_stack, right(r.stdout, 200000) as stdout, right(r.stderr, 200000) as stderr, r.steps,
          tc.title, tc.suite_path, tc.file, tc.variant, ru.branch, ru.commit_sha
        from test_results r join test_cases tc on tc.id = r.test_case_id join runs ru on ru.id = r.run_id
        where r.id = any(${uuids(picked)}::uuid[])`))
    : []
  const samples: EvidenceResult[] = picked.flatMap((rid) => {
    const r = sampleRows.find(x => x.id === rid)
    return r
      ? [{
          resultId: r.id, runId: r.run_id, testCaseId: r.test_case_id, test: testLabel(r.suite_path, r.title), file: r.file, variant: r.variant,
          branch: r.branch, commit: r.commit_sha, at: iso(r.run_started_at), status: r.status, attempts: r.attempt_count,
          errorMessage: r.error_message, errorStack: r.error_stack, stdout: r.stdout, stderr: r.stderr, steps: r.steps,
        }]
      : []
  })

  // independent of each other: sent together, so a pooled Postgres answers them in parallel
  const [testRows, runRows, dayRows, branchRows, firstFailure, similarRows] = await Promise.all([
    // the rollup, not the results: a cluster with thousands of failures costs the same as one with three
    db.execute(sql`
      select tc.id, tc.title, tc.suite_path, tc.file, tc.variant, tc.flaky_label, tc.flaky_score, tc.flaky_confidence, tc.failed_runs,
        tc.flaky_runs, tc.last_flake_at, ct.occurrences as n, ct.last_seen_at as last, count(*) over ()::int as total
      from cluster_test_cases ct join test_cases tc on tc.id = ct.test_case_id
      where ct.cluster_id = ${id}
      order by ct.occurrences desc, ct.last_seen_at desc, tc.id limit 20`),
    // the newest runs, and every run where most of the suite failed (they decide "infrastructure")
    db.execute(sql`
      with x as (select run_id, count(*)::int as hits from test_results where cluster_id = ${id} group by run_id),
      r as (
        select ru.id, ru.started_at, ru.branch, ru.commit_sha, ru.total, ru.skipped, ru.failed, ru.errored, ru.infra, x.hits,
          count(*) over ()::int as total_runs, (sum(x.hits) filter (where ru.infra) over ())::int as infra_hits,
          row_number() over (order by ru.started_at desc, ru.id desc) as newest,
          row_number() over (partition by ru.infra order by ru.started_at desc, ru.id desc) as newest_of_kind
        from x join runs ru on ru.id = x.run_id
      )
      select * from r where newest <= 20 or (infra and newest_of_kind <= 10) order by started_at desc, id desc`),
    db.execute(sql`
      select to_char(run_started_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n from test_results
      where cluster_id = ${id} group by 1 order by 1 desc limit 366`),
    db.execute(sql`
      select coalesce(ru.branch, '(no branch)') as branch, count(*)::int as n from test_results r join runs ru on ru.id = r.run_id
      where r.cluster_id = ${id} group by 1 order by 2 desc, 1 limit 10`),
    loadFirstFailure(db, c),
    db.execute(sql`
      select fc.id, fc.title, fc.error_type, fc.locator, fc.status, fc.status_note, fc.last_seen_at,
        (select d.summary from diagnoses d where d.cluster_id = fc.id order by d.version desc limit 1) as summary
      from failure_clusters fc
      where fc.project_id = ${c.projectId} and fc.id <> ${id} and fc.merged_into_id is null and fc.status in ('resolved', 'regressed', 'ignored')
      order by fc.last_seen_at desc limit 200`),
  ])
  const tests = rowsOf<AffectedRow>(testRows)
  const runs = rowsOf<RunStatRow>(runRows)
  const days = rowsOf<{ day: string, n: number }>(dayRows).reverse()
  const branches = rowsOf<{ branch: string, n: number }>(branchRows)
  const similar = rowsOf<{ id: string, title: string, error_type: string, locator: string | null, status: ClusterStatus, status_note: string | null, last_seen_at: string | Date, summary: string | null }>(similarRows)
  const similarResolved = similar
    .map(s => ({ s, similarity: signatureSimilarity({ title: c.title, errorType: c.errorType, locator: c.locator }, { title: s.title, errorType: s.error_type, locator: s.locator }) }))
    .filter(x => x.similarity >= 0.5)
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, 5)
    .map(({ s, similarity }) => ({ clusterId: s.id, title: s.title, status: s.status, note: s.status_note, similarity, lastSeenAt: iso(s.last_seen_at), diagnosisSummary: s.summary }))

  return {
    cluster: {
      id: c.id, project: c.projectSlug, title: c.title, errorType: c.errorType, category: c.category as FailureCategory, locator: c.locator,
      location: c.location, status: c.status, statusNote: c.statusNote, occurrences: c.occurrences, affectedTests: Math.max(c.affectedTests, tests[0]?.total ?? 0),
      branches: c.branches, firstSeenAt: iso(c.firstSeenAt), lastSeenAt: iso(c.lastSeenAt),
    },
    samples,
    affectedTests: tests.map(t => ({
      testCaseId: t.id, test: testLabel(t.suite_path, t.title), file: t.file, variant: t.variant, occurrences: t.n, lastSeenAt: iso(t.last),
      flakyLabel: t.flaky_label, flakyScore: Number(t.flaky_score), flakyConfidence: Number(t.flaky_confidence), failedRuns: t.failed_runs,
      flakyRuns: t.flaky_runs, lastFlakeAt: isoOrNull(t.last_flake_at),
    })),
    affectedTestsTotal: tests[0]?.total ?? 0,
    runs: runs.map((r) => {
      const executed = r.total - r.skipped
      const failing = r.failed + r.errored
      return { runId: r.id, at: iso(r.started_at), branch: r.branch, commit: r.commit_sha, hits: r.hits, executed, failing, infra: r.infra }
    }),
    runsTotal: runs[0]?.total_runs ?? 0,
    infraHits: runs[0]?.infra_hits ?? 0,
    days: days.map(d => ({ day: d.day, occurrences: d.n })),
    branches: branches.map(b => ({ branch: b.branch, occurrences: b.n })),
    firstFailure,
    similarResolved,
  }
}

/** The first run with this failure, the last run before it on that branch where the same tests passed, and the runs between. */
async function loadFirstFailure(db: Db, c: ClusterRow): Promise<ClusterEvidence['firstFailure']> {
  const [first] = rowsOf<RunRefRow & { project_id: string }>(await db.execute(sql`
    select ru.id, ru.branch, ru.commit_sha, ru.commit_message, ru.started_at, ru.build_url, ru.project_id from runs ru
    where ru.id = coalesce(${c.firstSeenRunId}::uuid, (select run_id from test_results where cluster_id = ${c.id} order by run_started_at asc, id asc limit 1))`))
  if (!first) return null
  const tests = rowsOf<{ test_case_id: string }>(await db.execute(sql`
    select distinct test_case_id from test_results where cluster_id = ${c.id} and run_id = ${first.id} limit 10`)).map(t => t.test_case_id)
  if (!tests.length) return { run: runRef(first), lastGreenRun: null, commits: [] }
  const [green] = rowsOf<RunRefRow>(await db.execute(sql`
    with cand as (
      select r.run_id, max(r.run_started_at) as at from test_results r join runs ru on ru.id = r.run_id
      where r.test_case_id = any(${uuids(tests)}::uuid[]) and r.run_started_at < ${iso(first.started_at)}::timestamptz
        and r.status = 'passed' and ru.project_id = ${first.project_id} and ru.branch is not distinct from ${first.branch}
      group by r.run_id order by at desc limit 20
    )
    select ru.id, ru.branch, ru.commit_sha, ru.commit_message, ru.started_at, ru.build_url from cand join runs ru on ru.id = cand.run_id
    where not exists (select 1 from test_results r2 where r2.run_id = cand.run_id and r2.test_case_id = any(${uuids(tests)}::uuid[])
      and r2.status in ('failed', 'errored'))
    order by cand.at desc limit 1`))
  let commits: { sha: string, message: string | null, runId: string, at: string }[] = []
  if (green) {
    const between = rowsOf<RunRefRow>(await db.execute(sql`
      select id, branch, commit_sha, commit_message, started_at, build_url from runs
      where project_id = ${first.project_id} and branch is not distinct from ${first.branch}
        and started_at > ${iso(green.started_at)}::timestamptz and started_at <= ${iso(first.started_at)}::timestamptz
      order by started_at asc limit 100`))
    const seen = new Set<string>([green.commit_sha ?? ''])
    commits = between.filter(r => r.commit_sha && !seen.has(r.commit_sha) && seen.add(r.commit_sha))
      .map(r => ({ sha: r.commit_sha!, message: r.commit_message, runId: r.id, at: iso(r.started_at) }))
  }
  return { run: runRef(first), lastGreenRun: green ? runRef(green) : null, commits }
}

/** The context bundle of one cluster: what `get_cluster_context` returns and what an LLM receives. 404 outside the scope. */
export async function buildClusterContext(scope: Scope, clusterId: string, query: ContextQuery = {}): Promise<ClusterContext> {
  const db = await useDb()
  const cluster = await findCluster(db, scope, clusterId)
  if (!cluster) throw notFound('No such failure cluster.')
  const llm = await loadLlmConfig()
  return assembleClusterContext(await loadClusterEvidence(db, cluster), { budgetTokens: query.budget ?? contextBudget(), secrets: llm?.apiKey ? [llm.apiKey] : [] })
}

// ---------------------------------------------------------------------------------------------- lifecycle

/** The evidence basis recorded with the cluster's latest diagnosis. */
async function readBasis(db: Db | Tx, clusterId: string): Promise<StoredBasis | null> {
  const [row] = await db.select({ basis: diagnoses.basis }).from(diagnoses).where(eq(diagnoses.clusterId, clusterId)).orderBy(desc(diagnoses.version)).limit(1)
  return row?.basis ?? null
}

async function writeBasis(db: Db | Tx, _clusterId: string, value: StoredBasis): Promise<void> {
  await db.update(diagnoses).set({ basis: value }).where(eq(diagnoses.id, value.diagnosisId))
}

/** The evidence basis now: distinct affected tests, and the variants among the newest 1,000 failures. */
async function currentBasis(db: Db, clusterId: string): Promise<EvidenceBasis> {
  const [counts] = rowsOf<{ tests: number }>(await db.execute(sql`select count(distinct test_case_id)::int as tests from test_results where cluster_id = ${clusterId}`))
  const messages = rowsOf<{ m: string | null }>(await db.execute(sql`
    select distinct left(error_message, 400) as m
    from (select error_message from test_results where cluster_id = ${clusterId} order by run_started_at desc limit 1000) x limit 500`))
  return basisOf(messages.map(r => r.m), counts?.tests ?? 0)
}

export interface DiagnoseOutcome {
  clusterId: string
  status: 'created' | 'unchanged' | 'missing' | 'failed'
  diagnosisId?: string
  version?: number
  engine?: DiagnosisEngine
  /** Why a new version was made (new evidence, forced, first diagnosis), or why it failed. */
  reason?: string
}

async function diagnoseOne(clusterId: string, force: boolean): Promise<DiagnoseOutcome> {
  const db = await useDb()
  const cluster = await findCluster(db, systemScope(), clusterId)
  if (!cluster) return { clusterId, status: 'missing' }
  const [latest] = await db.select({ id: diagnoses.id, version: diagnoses.version }).from(diagnoses)
    .where(eq(diagnoses.clusterId, clusterId)).orderBy(desc(diagnoses.version)).limit(1)
  const stored = latest ? await readBasis(db, clusterId) : null
  const counters = { checkedOccurrences: cluster.occurrences, checkedAffectedTests: cluster.affectedTests }
  if (!force && latest && stored && stored.checkedOccurrences === cluster.occurrences && stored.checkedAffectedTests === cluster.affectedTests) {
    return { clusterId, status: 'unchanged', diagnosisId: latest.id, version: latest.version }
  }
  const basis = await currentBasis(db, clusterId)
  const reasons = !latest ? ['first diagnosis'] : force ? ['requested'] : stored ? newEvidence(stored, basis) : ['no recorded basis']
  if (!reasons.length && latest && stored) {
    await writeBasis(db, clusterId, { ...stored, ...counters })
    return { clusterId, status: 'unchanged', diagnosisId: latest.id, version: latest.version }
  }

  const llm = await loadLlmConfig()
  const context = assembleClusterContext(await loadClusterEvidence(db, cluster), { budgetTokens: contextBudget(), secrets: llm?.apiKey ? [llm.apiKey] : [] })
  const started = performance.now()
  const rules = diagnoseContext(context.data)
  let row: typeof diagnoses.$inferInsert = {
    clusterId, version: 0, engine: 'rules', model: null, category: rules.category, summary: rules.summary, rootCause: rules.rootCause,
    evidence: rules.evidence, suggestedFix: rules.suggestedFix, investigationSteps: rules.investigationSteps, confidence: rules.confidence,
    latencyMs: Math.round(performance.now() - started),
  }
  if (llm) {
    const answer = await requestLlmDiagnosis(llm, context)
    const usage = { model: answer.model, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, costUsd: answer.costUsd, latencyMs: answer.latencyMs }
    if (answer.ok) {
      const d = answer.diagnosis
      row = { ...row, ...usage, engine: llm.provider, category: d.category, summary: d.summary, rootCause: d.rootCause, evidence: d.evidence as DiagnosisEvidenceItem[], suggestedFix: d.suggestedFix, investigationSteps: d.investigationSteps, confidence: d.confidence }
    }
    else {
      row = { ...row, ...usage, error: `${llm.provider} ${llm.model}: ${answer.error}` }
      console.warn(`[diagnosis] cluster ${clusterId}: ${row.error}; the rule engine's diagnosis stands`)
    }
  }

  return db.transaction(async (tx) => {
    // The cluster row lock serialises concurrent writers of this cluster's versions (other processes included).
    const [locked] = await tx.select({ id: failureClusters.id }).from(failureClusters).where(eq(failureClusters.id, clusterId)).for('update')
    if (!locked) return { clusterId, status: 'missing' } as DiagnoseOutcome
    const [last] = await tx.select({ id: diagnoses.id, version: diagnoses.version }).from(diagnoses)
      .where(eq(diagnoses.clusterId, clusterId)).orderBy(desc(diagnoses.version)).limit(1)
    const lastBasis = last ? await readBasis(tx, clusterId) : null
    if (!force && last && last.id !== latest?.id && lastBasis && !newEvidence(lastBasis, basis).length) {
      // another writer stored a version with this evidence while we worked
      return { clusterId, status: 'unchanged', diagnosisId: last.id, version: last.version } as DiagnoseOutcome
    }
    const [inserted] = await tx.insert(diagnoses).values({ ...row, version: (last?.version ?? 0) + 1 }).returning({ id: diagnoses.id, version: diagnoses.version })
    await writeBasis(tx, clusterId, { ...mergeBasis(lastBasis, basis), diagnosisId: inserted!.id, ...counters })
    return { clusterId, status: 'created', diagnosisId: inserted!.id, version: inserted!.version, engine: row.engine, reason: reasons.join(', ') } as DiagnoseOutcome
  })
}

// In-process scheduling: one diagnosis per cluster at a time, a call for a busy cluster runs once after it (so it
// sees evidence that arrived meanwhile), and at most two clusters at once (an LLM call can take seconds).
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

function schedule(clusterId: string, force: boolean): Promise<DiagnoseOutcome> {
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
  return Promise.all(ids.map(id => schedule(id, !!opts.force).catch((err: Error) => {
    console.error(`[diagnosis] cluster ${id}: ${err.message}`)
    return { clusterId: id, status: 'failed', reason: err.message } as DiagnoseOutcome
  })))
}

// ---------------------------------------------------------------------------------------------- reads and feedback

type DiagnosisRow = typeof diagnoses.$inferSelect

async function feedbackOf(db: Db, diagnosisId: string, userId: string): Promise<DiagnosisDetail['feedback']> {
  const [counts] = await db.select({
    helpful: sql<number>`count(*) filter (where ${diagnosisFeedback.helpful} = 1)::int`,
    wrong: sql<number>`count(*) filter (where ${diagnosisFeedback.helpful} = 0)::int`,
  }).from(diagnosisFeedback).where(eq(diagnosisFeedback.diagnosisId, diagnosisId))
  const [mine] = await db.select().from(diagnosisFeedback)
    .where(and(eq(diagnosisFeedback.diagnosisId, diagnosisId), eq(diagnosisFeedback.userId, userId)))
    .orderBy(desc(diagnosisFeedback.createdAt)).limit(1)
  return {
    helpful: counts?.helpful ?? 0, wrong: counts?.wrong ?? 0,
    mine: mine ? { helpful: mine.helpful === 1, note: mine.note, createdAt: iso(mine.createdAt) } : null,
  }
}

function toDetail(d: DiagnosisRow, feedback: DiagnosisDetail['feedback']): DiagnosisDetail {
  return {
    id: d.id, clusterId: d.clusterId, version: d.version, engine: d.engine, model: d.model, category: d.category, summary: d.summary,
    rootCause: d.rootCause, evidence: d.evidence, suggestedFix: d.suggestedFix, investigationSteps: d.investigationSteps, confidence: d.confidence,
    inputTokens: d.inputTokens, outputTokens: d.outputTokens, costUsd: d.costUsd, latencyMs: d.latencyMs, error: d.error,
    createdAt: iso(d.createdAt), feedback,
  }
}

async function readDiagnosis(db: Db, scope: Scope, clusterId: string): Promise<ClusterDiagnosis> {
  const rows = await db.select().from(diagnoses).where(eq(diagnoses.clusterId, clusterId)).orderBy(desc(diagnoses.version)).limit(50)
  const latest = rows[0]
  return {
    clusterId,
    latest: latest ? toDetail(latest, await feedbackOf(db, latest.id, scope.userId)) : null,
    versions: rows.map(d => ({ id: d.id, version: d.version, engine: d.engine, model: d.model, category: d.category, confidence: d.confidence, error: d.error, createdAt: iso(d.createdAt) })),
  }
}

/**
 * The cluster's diagnosis: the newest version (brought up to date first, so a cluster diagnosed before its last
 * evidence, or never, gets its version now) and the list of versions. 404 outside the scope.
 */
export async function getClusterDiagnosis(scope: Scope, clusterId: string): Promise<ClusterDiagnosis> {
  const db = await useDb()
  if (!await findCluster(db, scope, clusterId)) throw notFound('No such failure cluster.')
  await diagnoseClusters([clusterId])
  return readDiagnosis(db, scope, clusterId)
}

/** A user asks for a fresh diagnosis (members and admins): always a new version. */
export async function rediagnoseCluster(scope: Scope, clusterId: string): Promise<ClusterDiagnosis> {
  const db = await useDb()
  if (!await findCluster(db, scope, clusterId)) throw notFound('No such failure cluster.')
  authorize(scope, 'rediagnose')
  await schedule(clusterId, true)
  return readDiagnosis(db, scope, clusterId)
}

/** Records the caller's feedback on one diagnosis version (one per user: a new answer replaces the old one). */
export async function addDiagnosisFeedback(scope: Scope, diagnosisId: string, body: DiagnosisFeedbackBody): Promise<DiagnosisDetail['feedback']> {
  const db = await useDb()
  const [found] = await db.select({ id: diagnoses.id }).from(diagnoses)
    .innerJoin(failureClusters, eq(failureClusters.id, diagnoses.clusterId))
    .where(and(eq(diagnoses.id, diagnosisId), inScope(scope, failureClusters.projectId))).limit(1)
  if (!found) throw notFound('No such diagnosis.')
  await db.transaction(async (tx) => {
    await tx.delete(diagnosisFeedback).where(and(eq(diagnosisFeedback.diagnosisId, diagnosisId), eq(diagnosisFeedback.userId, scope.userId)))
    await tx.insert(diagnosisFeedback).values({ diagnosisId, userId: scope.userId, helpful: body.helpful ? 1 : 0, note: body.note ?? null })
  })
  return feedbackOf(db, diagnosisId, scope.userId)
}

/** Diagnoses and LLM spend per day over the last `days` days, for the caller's projects. */
export async function getDiagnosisUsage(scope: Scope, query: UsageQuery): Promise<DiagnosisUsage> {
  const db = await useDb()
  const to = new Date()
  const from = new Date(to.getTime() - query.days * 86_400_000)
  const where = and(sql`${diagnoses.createdAt} >= ${from.toISOString()}::timestamptz`, inScope(scope, failureClusters.projectId))
  const day = sql<string>`to_char(${diagnoses.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`
  const agg = {
    diagnoses: sql<number>`count(*)::int`,
    llmCalls: sql<number>`count(${diagnoses.model})::int`,
    llmErrors: sql<number>`count(*) filter (where ${diagnoses.error} is not null)::int`,
    inputTokens: sql<number>`coalesce(sum(${diagnoses.inputTokens}), 0)::int`,
    outputTokens: sql<number>`coalesce(sum(${diagnoses.outputTokens}), 0)::int`,
    costUsd: sql<number>`coalesce(sum(${diagnoses.costUsd}), 0)::float8`,
  }
  const days = await db.select({ day, ...agg }).from(diagnoses).innerJoin(failureClusters, eq(failureClusters.id, diagnoses.clusterId))
    .where(where).groupBy(day).orderBy(day)
  const byModel = await db.select({ model: sql<string>`${diagnoses.model}`, calls: agg.llmCalls, inputTokens: agg.inputTokens, outputTokens: agg.outputTokens, costUsd: agg.costUsd })
    .from(diagnoses).innerJoin(failureClusters, eq(failureClusters.id, diagnoses.clusterId))
    .where(and(where, sql`${diagnoses.model} is not null`)).groupBy(diagnoses.model).orderBy(desc(agg.costUsd))
  const totals = days.reduce<Omit<DiagnosisUsageDay, 'day'>>((t, d) => ({
    diagnoses: t.diagnoses + d.diagnoses, llmCalls: t.llmCalls + d.llmCalls, llmErrors: t.llmErrors + d.llmErrors,
    inputTokens: t.inputTokens + d.inputTokens, outputTokens: t.outputTokens + d.outputTokens, costUsd: t.costUsd + d.costUsd,
  }), { diagnoses: 0, llmCalls: 0, llmErrors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 })
  totals.costUsd = Math.round(totals.costUsd * 1e6) / 1e6
  return { from: from.toISOString(), to: to.toISOString(), days, byModel, totals }
}
