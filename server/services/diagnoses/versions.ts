import { desc, eq, sql } from 'drizzle-orm'
import { useDb, schema, type Db, type Tx } from '../../db'
import { rowsOf } from '../../db/sql'
import { diagnoseContext } from '../../analysis/diagnose'
import { basisOf, mergeBasis, newEvidence, type EvidenceBasis, type StoredBasis } from '../../analysis/diagnosis-basis'
import type { DiagnosisEngine } from '#shared/constants'
import type { ClusterContext, DiagnosisEvidenceItem } from '#shared/types/diagnosis'
import { findCluster } from '../clusters'
import { requestLlmDiagnosis, type LlmConfig } from '../llm'
import { loadLlmConfig } from '../llm/settings'
import { systemScope } from '../scope'
import { assembleContext } from './evidence'

/**
 * Versioned diagnoses: a new version is computed only when new evidence arrived since the last one (a new error
 * variant, a new affected test), when there is none yet, or when someone asks. Each version records the evidence
 * basis it saw, so the next call can tell.
 */

const { diagnoses, failureClusters } = schema

type DiagnosisInsert = typeof diagnoses.$inferInsert

export interface DiagnoseOutcome {
  clusterId: string
  status: 'created' | 'unchanged' | 'missing' | 'failed'
  diagnosisId?: string
  version?: number
  engine?: DiagnosisEngine
  /** Why a new version was made (new evidence, forced, first diagnosis), or why it failed. */
  reason?: string
}

/** The evidence basis recorded with the cluster's latest diagnosis. */
async function readBasis(db: Db | Tx, clusterId: string): Promise<StoredBasis | null> {
  const [row] = await db.select({ basis: diagnoses.basis }).from(diagnoses)
    .where(eq(diagnoses.clusterId, clusterId)).orderBy(desc(diagnoses.version)).limit(1)
  return row?.basis ?? null
}

async function writeBasis(db: Db | Tx, value: StoredBasis): Promise<void> {
  await db.update(diagnoses).set({ basis: value }).where(eq(diagnoses.id, value.diagnosisId))
}

/** The evidence basis now: distinct affected tests, and the variants among the newest 1,000 failures. */
async function currentBasis(db: Db, clusterId: string): Promise<EvidenceBasis> {
  const [counts] = rowsOf<{ tests: number }>(await db.execute(sql`
    select count(distinct test_case_id)::int as tests from test_results where cluster_id = ${clusterId}`))
  const messages = rowsOf<{ m: string | null }>(await db.execute(sql`
    select distinct left(error_message, 400) as m
    from (select error_message from test_results where cluster_id = ${clusterId} order by run_started_at desc limit 1000) x limit 500`))
  return basisOf(messages.map(r => r.m), counts?.tests ?? 0)
}

async function latestVersion(db: Db | Tx, clusterId: string) {
  const [row] = await db.select({ id: diagnoses.id, version: diagnoses.version }).from(diagnoses)
    .where(eq(diagnoses.clusterId, clusterId)).orderBy(desc(diagnoses.version)).limit(1)
  return row
}

/** The rule engine's diagnosis of the bundle, replaced by the LLM's when one is configured and answers validly. */
async function computeDiagnosis(clusterId: string, context: ClusterContext, llm: LlmConfig | null): Promise<DiagnosisInsert> {
  const started = performance.now()
  const rules = diagnoseContext(context.data)
  const row: DiagnosisInsert = {
    clusterId, version: 0, engine: 'rules', model: null, category: rules.category, summary: rules.summary, rootCause: rules.rootCause,
    evidence: rules.evidence, suggestedFix: rules.suggestedFix, investigationSteps: rules.investigationSteps, confidence: rules.confidence,
    latencyMs: Math.round(performance.now() - started),
  }
  if (!llm) return row
  const answer = await requestLlmDiagnosis(llm, context)
  const { model, inputTokens, outputTokens, costUsd, latencyMs } = answer
  const usage = { model, inputTokens, outputTokens, costUsd, latencyMs }
  if (answer.ok) {
    const d = answer.diagnosis
    return {
      ...row, ...usage, engine: llm.provider, category: d.category, summary: d.summary, rootCause: d.rootCause,
      evidence: d.evidence as DiagnosisEvidenceItem[], suggestedFix: d.suggestedFix, investigationSteps: d.investigationSteps,
      confidence: d.confidence,
    }
  }
  const failed = { ...row, ...usage, error: `${llm.provider} ${llm.model}: ${answer.error}` }
  console.warn(`[diagnosis] cluster ${clusterId}: ${failed.error}; the rule engine's diagnosis stands`)
  return failed
}

interface StoreRequest {
  row: DiagnosisInsert
  basis: EvidenceBasis
  counters: { checkedOccurrences: number, checkedAffectedTests: number }
  /** The latest version when the work started: another writer may have stored one since. */
  seenId: string | undefined
  force: boolean
  reasons: string[]
}

/** Stores the next version, unless another writer stored one with this evidence while we worked. */
async function storeVersion(db: Db, clusterId: string, req: StoreRequest): Promise<DiagnoseOutcome> {
  return db.transaction(async (tx): Promise<DiagnoseOutcome> => {
    // The cluster row lock serialises concurrent writers of this cluster's versions (other processes included).
    const [locked] = await tx.select({ id: failureClusters.id }).from(failureClusters)
      .where(eq(failureClusters.id, clusterId)).for('update')
    if (!locked) return { clusterId, status: 'missing' }
    const last = await latestVersion(tx, clusterId)
    const lastBasis = last ? await readBasis(tx, clusterId) : null
    if (!req.force && last && last.id !== req.seenId && lastBasis && !newEvidence(lastBasis, req.basis).length) {
      return { clusterId, status: 'unchanged', diagnosisId: last.id, version: last.version }
    }
    const [inserted] = await tx.insert(diagnoses).values({ ...req.row, version: (last?.version ?? 0) + 1 })
      .returning({ id: diagnoses.id, version: diagnoses.version })
    await writeBasis(tx, { ...mergeBasis(lastBasis, req.basis), diagnosisId: inserted!.id, ...req.counters })
    return {
      clusterId, status: 'created', diagnosisId: inserted!.id, version: inserted!.version, engine: req.row.engine,
      reason: req.reasons.join(', '),
    }
  })
}

/**
 * Diagnoses one cluster if new evidence arrived since its latest version (always with `force`). System level:
 * callers go through the queue (./queue.ts), which runs one of these per cluster at a time.
 */
export async function diagnoseOne(clusterId: string, force: boolean): Promise<DiagnoseOutcome> {
  const db = await useDb()
  const cluster = await findCluster(systemScope(), clusterId)
  if (!cluster) return { clusterId, status: 'missing' }
  const latest = await latestVersion(db, clusterId)
  const stored = latest ? await readBasis(db, clusterId) : null
  const counters = { checkedOccurrences: cluster.occurrences, checkedAffectedTests: cluster.affectedTests }
  const unchanged: DiagnoseOutcome = { clusterId, status: 'unchanged', diagnosisId: latest?.id, version: latest?.version }
  // the counters are a cheap first check: the same occurrences and tests as last time cannot hold new evidence
  const sameCounters = stored?.checkedOccurrences === cluster.occurrences && stored?.checkedAffectedTests === cluster.affectedTests
  if (!force && stored && sameCounters) return unchanged
  const basis = await currentBasis(db, clusterId)
  const reasons = !latest ? ['first diagnosis'] : force ? ['requested'] : stored ? newEvidence(stored, basis) : ['no recorded basis']
  if (!reasons.length && stored) {
    await writeBasis(db, { ...stored, ...counters })
    return unchanged
  }
  const llm = await loadLlmConfig()
  const row = await computeDiagnosis(clusterId, await assembleContext(db, cluster, llm), llm)
  return storeVersion(db, clusterId, { row, basis, counters, seenId: latest?.id, force, reasons })
}

/**
 * Live clusters with failures whose latest diagnosis did not see their current counters, or that have none: what
 * the in-process queue missed (a restart before it ran, a re-clustering, a merge). One indexed query.
 */
export async function findStaleClusterIds(): Promise<string[]> {
  const db = await useDb()
  return rowsOf<{ id: string }>(await db.execute(sql`
    select fc.id from failure_clusters fc
    left join lateral (select d.basis from diagnoses d where d.cluster_id = fc.id order by d.version desc limit 1) d on true
    where fc.merged_into_id is null and fc.occurrences > 0
      and (d.basis is null or (d.basis->>'checkedOccurrences')::int is distinct from fc.occurrences
        or (d.basis->>'checkedAffectedTests')::int is distinct from fc.affected_tests)`)).map(r => r.id)
}
