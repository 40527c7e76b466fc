import { desc, eq, sql } from 'drizzle-orm'
import { useDb, schema, type Db, type Tx } from '../../db'
import { iso, rowsOf } from '../../db/sql'
import { testLabel } from '../../ingest/merge'
import { diagnoseContext } from '../../analysis/diagnose'
import {
  basisOf, mergeBasis, newEvidence, TRACKED_TESTS, type EvidenceBasis, type StoredBasis,
} from '../../analysis/diagnosis-basis'
import type { DiagnosisEngine, FailureCategory } from '#shared/constants'
import type { ClusterContext, DiagnosisEvidenceItem } from '#shared/types/diagnosis'
import { findCluster, type ClusterWithProject } from '../clusters'
import { requestLlmDiagnosis, type LlmConfig } from '../llm'
import { loadLlmConfig } from '../llm/settings'
import { systemScope } from '../scope'
import { assembleContext } from './evidence'

/**
 * Versioned diagnoses: a new version is computed only when the evidence changed materially since the last one (a
 * label change of a test it reads, a new affected test, branch or error variant, a regression, a new fingerprint),
 * when there is none yet, or when someone asks. Each version records the basis it saw and what changed since the
 * previous one; its category becomes the cluster's, so the two never disagree.
 */

const { diagnoses, failureClusters } = schema

type DiagnosisInsert = typeof diagnoses.$inferInsert
type Latest = { id: string, version: number, category: FailureCategory, basis: StoredBasis | null }

export interface DiagnoseOutcome {
  clusterId: string
  status: 'created' | 'unchanged' | 'missing' | 'failed'
  diagnosisId?: string
  version?: number
  engine?: DiagnosisEngine
  /** What changed since the previous version (or why it was made), or why it failed. */
  reason?: string
}

/**
 * A digest of everything the evidence can change with, as SQL over `failure_clusters fc`: counters, fingerprint,
 * status, branches and the labels of the tracked tests (ordered as the context orders them). The same digest as at
 * the last check means nothing new, without reading a single result.
 */
const STATE_DIGEST = sql`md5(concat_ws('|', fc.occurrences, fc.affected_tests, fc.fingerprint, fc.status,
  extract(epoch from fc.status_changed_at), array_to_string(fc.branches, ','),
  (select string_agg(t.id::text || ':' || t.label, ',' order by t.id) from (
    select tc.id, tc.flaky_label::text as label from cluster_test_cases ct join test_cases tc on tc.id = ct.test_case_id
    where ct.cluster_id = fc.id order by ct.occurrences desc, ct.last_seen_at desc, tc.id limit ${TRACKED_TESTS}) t)))`

async function stateDigest(db: Db, clusterId: string): Promise<string | null> {
  const [row] = rowsOf<{ digest: string }>(await db.execute(sql`
    select ${STATE_DIGEST} as digest from failure_clusters fc where fc.id = ${clusterId}`))
  return row?.digest ?? null
}

async function latestVersion(db: Db | Tx, clusterId: string): Promise<Latest | undefined> {
  const [row] = await db.select({ id: diagnoses.id, version: diagnoses.version, category: diagnoses.category, basis: diagnoses.basis })
    .from(diagnoses).where(eq(diagnoses.clusterId, clusterId)).orderBy(desc(diagnoses.version)).limit(1)
  return row
}

async function writeBasis(db: Db | Tx, value: StoredBasis): Promise<void> {
  await db.update(diagnoses).set({ basis: value }).where(eq(diagnoses.id, value.diagnosisId))
}

/** The cluster takes the category of its latest diagnosis (a re-clustering or an infrastructure mark may have moved it). */
async function alignCategory(db: Db | Tx, cluster: { id: string, category: string }, category: FailureCategory): Promise<void> {
  if (cluster.category !== category) await db.update(failureClusters).set({ category }).where(eq(failureClusters.id, cluster.id))
}

/** The evidence basis now: the cluster's material facts, and the variants among its newest 1,000 failures. */
async function currentBasis(db: Db, cluster: ClusterWithProject): Promise<{ basis: EvidenceBasis, names: Map<string, string> }> {
  const [counts] = rowsOf<{ tests: number }>(await db.execute(sql`
    select count(distinct test_case_id)::int as tests from test_results where cluster_id = ${cluster.id}`))
  const messages = rowsOf<{ m: string | null }>(await db.execute(sql`
    select distinct left(error_message, 400) as m
    from (select error_message from test_results where cluster_id = ${cluster.id} order by run_started_at desc limit 1000) x limit 500`))
  const tracked = rowsOf<{ id: string, title: string, suite_path: string[] | null, variant: string | null, label: string }>(await db.execute(sql`
    select tc.id, tc.title, tc.suite_path, tc.variant, tc.flaky_label::text as label
    from cluster_test_cases ct join test_cases tc on tc.id = ct.test_case_id
    where ct.cluster_id = ${cluster.id} order by ct.occurrences desc, ct.last_seen_at desc, tc.id limit ${TRACKED_TESTS}`))
  const tests = tracked.map(t => ({ id: t.id, test: [...(t.suite_path ?? []), t.title].join(' › '), label: t.label }))
  const regressedAt = cluster.status === 'regressed' && cluster.statusChangedAt ? iso(cluster.statusChangedAt) : null
  const basis = basisOf(messages.map(r => r.m), {
    tests: counts?.tests ?? 0, tracked: tests, branches: cluster.branches, regressedAt, fingerprint: cluster.fingerprint,
  })
  // the names the changes are written with carry the variant: one test in two browsers is two lines, told apart (the
  // basis keeps its own test strings, which earlier versions were compared by)
  const names = new Map(tracked.map(t => [t.id, testLabel({ suitePath: t.suite_path ?? [], title: t.title, variant: t.variant })]))
  return { basis, names }
}
/**
 * Evidence items with the test of the result each cites, from the bundle both engines cite from (an LLM's result ids
 * are checked against it), so a reader (an agent with get_test_case) can follow a cited result to its test.
 */
function withTests(evidence: DiagnosisEvidenceItem[], context: ClusterContext): DiagnosisEvidenceItem[] {
  const tests = new Map(context.data.errors.map(e => [e.resultId, e.testCaseId]))
  return evidence.map((e) => {
    const testCaseId = e.resultId ? tests.get(e.resultId) : undefined
    return testCaseId ? { ...e, testCaseId } : e
  })
}

/** The rule engine's diagnosis of the bundle, replaced by the LLM's when one is configured and answers validly. */
async function computeDiagnosis(clusterId: string, context: ClusterContext, llm: LlmConfig | null): Promise<DiagnosisInsert> {
  const started = performance.now()
  const rules = diagnoseContext(context.data)
  const row: DiagnosisInsert = {
    clusterId, version: 0, engine: 'rules', model: null, category: rules.category, summary: rules.summary, rootCause: rules.rootCause,
    evidence: withTests(rules.evidence, context), suggestedFix: rules.suggestedFix, investigationSteps: rules.investigationSteps,
    confidence: rules.confidence, latencyMs: Math.round(performance.now() - started),
  }
  if (!llm) return row
  const answer = await requestLlmDiagnosis(llm, context)
  const { model, inputTokens, outputTokens, costUsd, latencyMs } = answer
  const usage = { model, inputTokens, outputTokens, costUsd, latencyMs }
  if (answer.ok) {
    const d = answer.diagnosis
    return {
      ...row, ...usage, engine: llm.provider, category: d.category, summary: d.summary, rootCause: d.rootCause,
      evidence: withTests(d.evidence as DiagnosisEvidenceItem[], context), suggestedFix: d.suggestedFix,
      investigationSteps: d.investigationSteps, confidence: d.confidence,
    }
  }
  const failed = { ...row, ...usage, error: `${llm.provider} ${llm.model}: ${answer.error}` }
  console.warn(`[diagnosis] cluster ${clusterId}: ${failed.error}; the rule engine's diagnosis stands`)
  return failed
}

interface StoreRequest {
  row: DiagnosisInsert
  basis: EvidenceBasis
  /** The state digest when the work started. */
  checked: string | null
  /** The latest version when the work started: another writer may have stored one since. */
  seenId: string | undefined
  force: boolean
  /** What changed since the latest version (empty for the first). */
  changes: string[]
}

/** Stores the next version and gives its category to the cluster, unless another writer stored one with this evidence meanwhile. */
async function storeVersion(db: Db, clusterId: string, req: StoreRequest): Promise<DiagnoseOutcome> {
  return db.transaction(async (tx): Promise<DiagnoseOutcome> => {
    // The cluster row lock serialises concurrent writers of this cluster's versions (other processes included).
    const [locked] = await tx.select({ id: failureClusters.id, category: failureClusters.category }).from(failureClusters)
      .where(eq(failureClusters.id, clusterId)).for('update')
    if (!locked) return { clusterId, status: 'missing' }
    const last = await latestVersion(tx, clusterId)
    if (!req.force && last && last.id !== req.seenId && last.basis && !newEvidence(last.basis, req.basis).length) {
      return { clusterId, status: 'unchanged', diagnosisId: last.id, version: last.version }
    }
    const [inserted] = await tx.insert(diagnoses).values({ ...req.row, version: (last?.version ?? 0) + 1 })
      .returning({ id: diagnoses.id, version: diagnoses.version })
    const basis = mergeBasis(last?.basis ?? null, req.basis)
    await writeBasis(tx, { ...basis, diagnosisId: inserted!.id, checked: req.checked ?? undefined, changes: req.changes })
    await alignCategory(tx, locked, req.row.category)
    return {
      clusterId, status: 'created', diagnosisId: inserted!.id, version: inserted!.version, engine: req.row.engine,
      reason: req.changes.join('; ') || 'first diagnosis',
    }
  })
}

/** Why a version is due, one phrase each: empty when nothing material changed (a request still makes one). */
function changesSince(latest: Latest | undefined, current: EvidenceBasis, names: Map<string, string>, force: boolean): string[] {
  if (!latest) return []
  const changes = latest.basis ? newEvidence(latest.basis, current, names) : ['no evidence basis was recorded with the previous version']
  return changes.length || !force ? changes : ['re-run on request']
}

/**
 * Diagnoses one cluster if its evidence changed materially since its latest version (always with `force`), and
 * keeps the cluster's category that of its diagnosis. System level: callers go through the queue (./queue.ts),
 * which runs one of these per cluster at a time.
 */
export async function diagnoseOne(clusterId: string, force: boolean): Promise<DiagnoseOutcome> {
  const db = await useDb()
  const cluster = await findCluster(systemScope(), clusterId)
  if (!cluster) return { clusterId, status: 'missing' }
  const latest = await latestVersion(db, clusterId)
  const checked = await stateDigest(db, clusterId)
  const unchanged: DiagnoseOutcome = { clusterId, status: 'unchanged', diagnosisId: latest?.id, version: latest?.version }
  // the digest is a cheap first check: the same counters, status, branches and labels cannot hold new evidence
  if (!force && latest?.basis && checked && latest.basis.checked === checked) {
    await alignCategory(db, cluster, latest.category)
    return unchanged
  }
  const { basis, names } = await currentBasis(db, cluster)
  const changes = changesSince(latest, basis, names, force)
  if (latest?.basis && !changes.length) {
    // nothing material: remember what was checked (and the labels of tests that joined the tracked ones)
    await writeBasis(db, { ...latest.basis, ...mergeBasis(basis, latest.basis), checked: checked ?? undefined })
    await alignCategory(db, cluster, latest.category)
    return unchanged
  }
  const llm = await loadLlmConfig()
  const row = await computeDiagnosis(clusterId, await assembleContext(db, cluster, llm), llm)
  return storeVersion(db, clusterId, { row, basis, checked, seenId: latest?.id, force, changes })
}

/**
 * Live clusters with failures whose latest diagnosis did not see their current state (counters, fingerprint,
 * status, branches, labels of the tracked tests) or category, or that have none: what the in-process queue missed
 * (a restart before it ran, a re-clustering, a merge, labels that moved without a new failure). One query.
 */
export async function findStaleClusterIds(): Promise<string[]> {
  const db = await useDb()
  return rowsOf<{ id: string }>(await db.execute(sql`
    select fc.id from failure_clusters fc
    left join lateral (
      select d.basis, d.category from diagnoses d where d.cluster_id = fc.id order by d.version desc limit 1
    ) d on true
    where fc.merged_into_id is null and fc.occurrences > 0
      and (d.basis is null or d.category is distinct from fc.category or d.basis->>'checked' is distinct from ${STATE_DIGEST})`))
    .map(r => r.id)
}
