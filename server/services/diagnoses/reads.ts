import { and, desc, eq, exists, isNull, sql, type SQL } from 'drizzle-orm'
import { useDb, schema, type Db } from '../../db'
import { runKept, slot } from '../../db/kept'
import { iso } from '../../db/sql'
import type { DiagnosisFeedbackBody, UsageQuery } from '#shared/schemas/diagnosis'
import type { ClusterDiagnosis, DiagnosisDetail, DiagnosisUsage, DiagnosisUsageDay } from '#shared/types/diagnosis'
import { notFound } from '../../utils/errors'
import { requireCluster } from '../clusters'
import { authorize } from '../policy'
import { inScope, inScopeSlot, scopeSlot, type Scope } from '../scope'
import { scheduleDiagnosis } from './queue'

/**
 * What the dashboard, the REST API and the MCP tools read: stored versions, feedback and usage. Reads never
 * compute a diagnosis (that would write a version and may call a paid LLM); ingest does, after each upload, and a
 * member does on request.
 */

const { diagnoses, diagnosisFeedback, failureClusters } = schema

type DiagnosisRow = typeof diagnoses.$inferSelect

/** Said in place of a diagnosis while the one ingest started has not landed yet. */
const PENDING_NOTE = 'Not diagnosed yet: a diagnosis is made after each upload with new evidence, and this one is on its way.'
  + ' Ask again in a minute.'

async function feedbackOf(db: Db, diagnosisId: string, userId: string): Promise<DiagnosisDetail['feedback']> {
  const [[counts], [mine]] = await Promise.all([
    db.select({
      helpful: sql<number>`count(*) filter (where ${diagnosisFeedback.helpful} = 1)::int`,
      wrong: sql<number>`count(*) filter (where ${diagnosisFeedback.helpful} = 0)::int`,
    }).from(diagnosisFeedback).where(eq(diagnosisFeedback.diagnosisId, diagnosisId)),
    db.select().from(diagnosisFeedback)
      .where(and(eq(diagnosisFeedback.diagnosisId, diagnosisId), eq(diagnosisFeedback.userId, userId)))
      .orderBy(desc(diagnosisFeedback.createdAt)).limit(1),
  ])
  return {
    helpful: counts?.helpful ?? 0, wrong: counts?.wrong ?? 0,
    mine: mine ? { helpful: mine.helpful === 1, note: mine.note, createdAt: iso(mine.createdAt) } : null,
  }
}

/** The "changed" line of a version: what its basis records as new since the previous one. */
const changedOf = (d: DiagnosisRow) => d.basis?.changes?.length ? d.basis.changes.join('; ') : null

function toDetail(d: DiagnosisRow, feedback: DiagnosisDetail['feedback']): DiagnosisDetail {
  return {
    id: d.id, clusterId: d.clusterId, version: d.version, changed: changedOf(d), engine: d.engine, model: d.model, category: d.category,
    summary: d.summary,
    rootCause: d.rootCause, evidence: d.evidence, suggestedFix: d.suggestedFix, investigationSteps: d.investigationSteps,
    confidence: d.confidence, inputTokens: d.inputTokens, outputTokens: d.outputTokens, costUsd: d.costUsd, latencyMs: d.latencyMs,
    error: d.error,
    createdAt: iso(d.createdAt), feedback,
  }
}

/** The feedback on the outer `diagnoses` row's version: the counts, and the caller's own newest answer (`userId`, a slot). */
const feedbackColumns = (userId: SQL) => ({
  helpful: sql<number>`(select count(*)::int from ${diagnosisFeedback} f where f.diagnosis_id = "diagnoses"."id" and f.helpful = 1)`,
  wrong: sql<number>`(select count(*)::int from ${diagnosisFeedback} f where f.diagnosis_id = "diagnoses"."id" and f.helpful = 0)`,
  mine: sql<{ helpful: number, note: string | null, createdAt: string } | string | null>`(select json_build_object('helpful', f.helpful,
    'note', f.note, 'createdAt', f.created_at) from ${diagnosisFeedback} f where f.diagnosis_id = "diagnoses"."id"
    and f.user_id = ${userId}::uuid order by f.created_at desc limit 1)`,
})

/** The versions a diagnosis lists, newest first. */
const VERSIONS_LISTED = 50

/**
 * The versions of a cluster the caller may see (none otherwise), newest first, each with its feedback: one kept
 * statement (../../db/kept.ts), the scope checked inside it.
 */
async function readDiagnosis(db: Db, scope: Scope, clusterId: string): Promise<ClusterDiagnosis> {
  const id = sql`${slot('clusterId')}::uuid`
  const rows = await runKept(db, 'diagnosis', { ...scopeSlot(scope), clusterId, userId: scope.userId, limit: VERSIONS_LISTED }, has => db
    .select({ d: diagnoses, ...feedbackColumns(sql`${slot('userId')}`) }).from(diagnoses)
    .where(and(sql`${diagnoses.clusterId} = ${id}`, exists(db.select({ one: sql`1` }).from(failureClusters).where(and(
      sql`${failureClusters.id} = ${id}`, inScopeSlot(has, failureClusters.projectId), isNull(failureClusters.mergedIntoId))))))
    .orderBy(desc(diagnoses.version)).limit(slot('limit')))
  const first = rows[0]
  const mine = typeof first?.mine === 'string' ? JSON.parse(first.mine) as Exclude<typeof first.mine, string> : first?.mine
  return {
    clusterId,
    latest: first
      ? toDetail(first.d, {
          helpful: first.helpful, wrong: first.wrong,
          mine: mine ? { helpful: mine.helpful === 1, note: mine.note, createdAt: iso(mine.createdAt) } : null,
        })
      : null,
    note: first ? null : PENDING_NOTE,
    versions: rows.map(({ d }) => ({
      id: d.id, version: d.version, changed: changedOf(d), engine: d.engine, model: d.model, category: d.category, confidence: d.confidence,
      error: d.error,
      createdAt: iso(d.createdAt),
    })),
  }
}

/**
 * The cluster's stored diagnosis: the newest version and the list of versions, as they are (`latest: null` with
 * a note while the first one is on its way). Never computes one. 404 outside the scope: only a read that found no
 * version asks whether the cluster is there at all.
 */
export async function getClusterDiagnosis(scope: Scope, clusterId: string): Promise<ClusterDiagnosis> {
  const diagnosis = await readDiagnosis(await useDb(), scope, clusterId)
  if (!diagnosis.latest) await requireCluster(scope, clusterId)
  return diagnosis
}

/** A user asks for a fresh diagnosis (members and admins): always a new version. */
export async function rediagnoseCluster(scope: Scope, clusterId: string): Promise<ClusterDiagnosis> {
  await requireCluster(scope, clusterId)
  authorize(scope, 'rediagnose')
  await scheduleDiagnosis(clusterId, true)
  return readDiagnosis(await useDb(), scope, clusterId)
}

/** Records the caller's feedback on one diagnosis version (one per user: a new answer replaces the old one). */
export async function addDiagnosisFeedback(
  scope: Scope, diagnosisId: string, body: DiagnosisFeedbackBody,
): Promise<DiagnosisDetail['feedback']> {
  const db = await useDb()
  const [found] = await db.select({ id: diagnoses.id }).from(diagnoses)
    .innerJoin(failureClusters, eq(failureClusters.id, diagnoses.clusterId))
    .where(and(eq(diagnoses.id, diagnosisId), inScope(scope, failureClusters.projectId))).limit(1)
  if (!found) throw notFound('No diagnosis with this id visible to you.', 'diagnosis_not_found')
  await db.transaction(async (tx) => {
    await tx.delete(diagnosisFeedback)
      .where(and(eq(diagnosisFeedback.diagnosisId, diagnosisId), eq(diagnosisFeedback.userId, scope.userId)))
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
  const perModel = {
    model: sql<string>`${diagnoses.model}`, calls: agg.llmCalls, inputTokens: agg.inputTokens, outputTokens: agg.outputTokens,
    costUsd: agg.costUsd,
  }
  const byModel = await db.select(perModel).from(diagnoses).innerJoin(failureClusters, eq(failureClusters.id, diagnoses.clusterId))
    .where(and(where, sql`${diagnoses.model} is not null`)).groupBy(diagnoses.model).orderBy(desc(agg.costUsd))
  const totals = days.reduce<Omit<DiagnosisUsageDay, 'day'>>((t, d) => ({
    diagnoses: t.diagnoses + d.diagnoses, llmCalls: t.llmCalls + d.llmCalls, llmErrors: t.llmErrors + d.llmErrors,
    inputTokens: t.inputTokens + d.inputTokens, outputTokens: t.outputTokens + d.outputTokens, costUsd: t.costUsd + d.costUsd,
  }), { diagnoses: 0, llmCalls: 0, llmErrors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 })
  totals.costUsd = Math.round(totals.costUsd * 1e6) / 1e6
  return { from: from.toISOString(), to: to.toISOString(), days, byModel, totals }
}
