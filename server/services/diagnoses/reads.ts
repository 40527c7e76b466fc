import { and, desc, eq, exists, inArray, isNull, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import { useDb, schema, type Db } from '../../db'
import { runKept, slot } from '../../db/kept'
import { iso } from '../../db/sql'
import type { DiagnosisFeedbackBody, UsageQuery } from '#shared/schemas/diagnosis'
import type { ClusterDiagnosis, DiagnosisDetail, DiagnosisUsage, DiagnosisUsageDay } from '#shared/types/diagnosis'
import { uuidsIn } from '#shared/uuid'
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

const { diagnoses, diagnosisFeedback, failureClusters, runs } = schema

/** Said in place of a diagnosis while the one ingest started has not landed yet. */
const PENDING_NOTE = 'Not diagnosed yet: a diagnosis is made after each upload with new evidence, and this one is on its way.'
  + ' Ask again in a minute.'

/** The feedback on the outer `diagnoses` row's version: the counts, and the caller's (`userId`) own newest answer. */
const feedbackColumns = (userId: SQL) => ({
  helpful: sql<number>`(select count(*)::int from ${diagnosisFeedback} f where f.diagnosis_id = "diagnoses"."id" and f.helpful = 1)`,
  wrong: sql<number>`(select count(*)::int from ${diagnosisFeedback} f where f.diagnosis_id = "diagnoses"."id" and f.helpful = 0)`,
  mine: sql<{ helpful: number, note: string | null, createdAt: string } | string | null>`(select json_build_object(
    'helpful', f.helpful, 'note', f.note, 'createdAt', f.created_at) from ${diagnosisFeedback} f where f.diagnosis_id = "diagnoses"."id"
    and f.user_id = ${userId}::uuid order by f.created_at desc limit 1)`,
})

type FeedbackRow = { [K in keyof ReturnType<typeof feedbackColumns>]: ReturnType<typeof feedbackColumns>[K]['_']['type'] | null }

/** feedbackColumns' values as a diagnosis gives them. */
function toFeedback({ helpful, wrong, mine }: FeedbackRow): DiagnosisDetail['feedback'] {
  const own = mine ? parsed(mine) : null
  return {
    helpful: helpful ?? 0, wrong: wrong ?? 0,
    mine: own ? { helpful: own.helpful === 1, note: own.note, createdAt: iso(own.createdAt) } : null,
  }
}

/** The feedback on one version, as its diagnosis gives it. */
async function feedbackOf(db: Db, diagnosisId: string, userId: string): Promise<DiagnosisDetail['feedback']> {
  const [row] = await db.select(feedbackColumns(sql`${userId}`)).from(diagnoses).where(eq(diagnoses.id, diagnosisId))
  return toFeedback(row ?? { helpful: 0, wrong: 0, mine: null })
}

/** The columns every version is listed with; the basis is read for its changes only. */
const versionColumns = {
  id: diagnoses.id, clusterId: diagnoses.clusterId, version: diagnoses.version, engine: diagnoses.engine, model: diagnoses.model,
  category: diagnoses.category, confidence: diagnoses.confidence, error: diagnoses.error, createdAt: diagnoses.createdAt,
  inputTokens: diagnoses.inputTokens, outputTokens: diagnoses.outputTokens, costUsd: diagnoses.costUsd, latencyMs: diagnoses.latencyMs,
  changes: sql<string[] | string | null>`${diagnoses.basis}->'changes'`,
}

/** A value of the latest version only (null on the others), which is the one shown whole. */
const ofLatest = <T>(latest: SQL, value: SQLWrapper) =>
  sql<T | null>`case when ${diagnoses.version} = ${latest} then ${value} end`

/**
 * The latest version's text and feedback (`latest`: its version number, by subquery; `userId`, a slot: see
 * feedbackColumns).
 */
const latestColumns = (latest: SQL, userId: SQL) => {
  const { helpful, wrong, mine } = feedbackColumns(userId)
  return {
    summary: ofLatest<string>(latest, diagnoses.summary),
    rootCause: ofLatest<string>(latest, diagnoses.rootCause),
    evidence: ofLatest<DiagnosisDetail['evidence'] | string>(latest, diagnoses.evidence),
    suggestedFix: ofLatest<string>(latest, diagnoses.suggestedFix),
    investigationSteps: ofLatest<string[] | string>(latest, diagnoses.investigationSteps),
    helpful: ofLatest<number>(latest, helpful),
    wrong: ofLatest<number>(latest, wrong),
    mine: ofLatest<FeedbackRow['mine']>(latest, mine),
  }
}

/** A JSON value as the driver gave it (parsed, or its text). */
const parsed = <T>(value: T | string): T => (typeof value === 'string' ? JSON.parse(value) as T : value)

/** The "changed" line of a version: what its basis records as new since the previous one. */
const changedOf = (changes: string[] | string | null) => {
  const list = changes === null ? null : parsed(changes)
  // each once: a version stored before changes named a test's variant listed two variants of a test as one line twice
  return list?.length ? [...new Set(list)].join('; ') : null
}

/** The versions a diagnosis lists, newest first. */
const VERSIONS_LISTED = 50

/**
 * The versions of a cluster the caller may see (none otherwise), newest first, the latest one whole with its feedback:
 * one kept statement (../../db/kept.ts), the scope checked inside it. The others' text is not read (a version is about
 * 2.8 KB; their feedback subqueries are not run).
 */
async function readDiagnosis(db: Db, scope: Scope, clusterId: string): Promise<ClusterDiagnosis> {
  const id = sql`${slot('clusterId')}::uuid`
  const latest = sql`(select max(v.version) from ${diagnoses} v where v.cluster_id = ${id})`
  const rows = await runKept(db, 'diagnosis', { ...scopeSlot(scope), clusterId, userId: scope.userId, limit: VERSIONS_LISTED }, has => db
    .select({ ...versionColumns, ...latestColumns(latest, sql`${slot('userId')}`) }).from(diagnoses)
    .where(and(sql`${diagnoses.clusterId} = ${id}`, exists(db.select({ one: sql`1` }).from(failureClusters).where(and(
      sql`${failureClusters.id} = ${id}`, inScopeSlot(has, failureClusters.projectId), isNull(failureClusters.mergedIntoId))))))
    .orderBy(desc(diagnoses.version)).limit(slot('limit')))
  const first = rows[0]
  return {
    clusterId,
    latest: first
      ? {
          id: first.id, clusterId: first.clusterId, version: first.version, changed: changedOf(first.changes), engine: first.engine,
          model: first.model, category: first.category, summary: first.summary!, rootCause: first.rootCause!,
          evidence: parsed(first.evidence!), suggestedFix: first.suggestedFix!, investigationSteps: parsed(first.investigationSteps!),
          confidence: first.confidence, inputTokens: first.inputTokens, outputTokens: first.outputTokens, costUsd: first.costUsd,
          latencyMs: first.latencyMs, error: first.error, createdAt: iso(first.createdAt),
          feedback: toFeedback(first),
        }
      : null,
    note: first ? null : PENDING_NOTE,
    versions: rows.map(d => ({
      id: d.id, version: d.version, changed: changedOf(d.changes), engine: d.engine, model: d.model, category: d.category,
      confidence: d.confidence, error: d.error, createdAt: iso(d.createdAt),
    })),
  }
}

/**
 * The cluster's stored diagnosis: the newest version and the list of versions, as they are (`latest: null` with
 * a note while the first one is on its way). Never computes one. 404 outside the scope: only a read that found no
 * version asks whether the cluster is there at all.
 */
export async function getClusterDiagnosis(scope: Scope, clusterId: string, opts: { runNumbers?: boolean } = {}): Promise<ClusterDiagnosis> {
  const db = await useDb()
  const diagnosis = await readDiagnosis(db, scope, clusterId)
  if (!diagnosis.latest) await requireCluster(scope, clusterId)
  else if (opts.runNumbers) diagnosis.latest.runNumbers = await citedRunNumbers(db, clusterId, diagnosis.latest)
  return diagnosis
}

/**
 * The number of every run of the cluster's project that a diagnosis cites by id, in its evidence or its text (an LLM
 * may cite one only in a sentence). Pages say "#50" where the text has the id; an agent reads the ids.
 */
async function citedRunNumbers(db: Db, clusterId: string, d: DiagnosisDetail): Promise<Record<string, number>> {
  const text = [d.summary, d.rootCause, d.suggestedFix, d.changed ?? '', ...d.investigationSteps, ...d.evidence.flatMap(e => [e.quote, e.why])]
  const ids = [...new Set([...d.evidence.map(e => e.runId), ...uuidsIn(text.join('\n'))])]
  if (!ids.length) return {}
  const rows = await db.select({ id: runs.id, number: runs.number }).from(runs).where(and(inArray(runs.id, ids),
    eq(runs.projectId, db.select({ id: failureClusters.projectId }).from(failureClusters).where(eq(failureClusters.id, clusterId)))))
  return Object.fromEntries(rows.filter(r => r.number != null).map(r => [r.id, r.number!]))
}

/** A user asks for a fresh diagnosis (members and admins): always a new version. */
export async function rediagnoseCluster(scope: Scope, clusterId: string): Promise<ClusterDiagnosis> {
  await requireCluster(scope, clusterId)
  authorize(scope, 'rediagnose')
  await scheduleDiagnosis(clusterId, true)
  return getClusterDiagnosis(scope, clusterId, { runNumbers: true })
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
