import { sql } from 'drizzle-orm'
import { boolean, index, integer, jsonb, pgTable, primaryKey, real, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { clusterStatusEnum, diagnosisEngineEnum, failureCategoryEnum } from './enums'
import { projects } from './projects'
import type { StoredBasis } from '../../analysis/diagnosis-basis'
import { users } from './accounts'
import { testCases } from './tests'
import { runs } from './runs'

/** Failures across runs that share a root cause, grouped by a versioned error fingerprint. */
export const failureClusters = pgTable('failure_clusters', {
  id: uuid().primaryKey().defaultRandom(),
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  fingerprint: text().notNull(),
  fingerprintVersion: smallint().notNull(),
  errorType: text().notNull(),
  category: failureCategoryEnum().notNull().default('unknown'),
  /** Normalised message head: what the cluster is about, readable. */
  title: text().notNull(),
  locator: text(),
  sampleMessage: text(),
  sampleStack: text(),
  /** Top stack frame ("where") of the sample, shown but not part of the fingerprint. */
  location: text(),
  firstSeenRunId: uuid(),
  firstSeenAt: timestamp({ withTimezone: true }).notNull(),
  lastSeenRunId: uuid(),
  lastSeenAt: timestamp({ withTimezone: true }).notNull(),
  occurrences: integer().notNull().default(0),
  affectedTests: integer().notNull().default(0),
  branches: text().array().notNull().default(sql`'{}'::text[]`),
  status: clusterStatusEnum().notNull().default('open'),
  statusNote: text(),
  statusChangedBy: uuid().references(() => users.id, { onDelete: 'set null' }),
  statusChangedAt: timestamp({ withTimezone: true }),
  mergedIntoId: uuid(),
  /** A link to the issue tracked for this cluster (http(s)), set on the cluster page. */
  issueUrl: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [
  uniqueIndex('failure_clusters_project_fingerprint_idx').on(t.projectId, t.fingerprint),
  index('failure_clusters_project_last_seen_idx').on(t.projectId, t.lastSeenAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  index('failure_clusters_project_created_idx').on(t.projectId, t.createdAt.desc().nullsFirst()),
  // search across history (services/search.ts): trigram index over the cluster's error text (function in the migration)
  index('failure_clusters_search_idx').using('gin',
    sql`cluster_search_text(${t.title}, ${t.errorType}, ${t.sampleMessage}, ${t.location}, ${t.sampleStack}) gin_trgm_ops`),
])

/** Which test cases a cluster has hit, and how often: "affected tests" without scanning results. */
export const clusterTestCases = pgTable('cluster_test_cases', {
  clusterId: uuid().notNull().references(() => failureClusters.id, { onDelete: 'cascade' }),
  testCaseId: uuid().notNull().references(() => testCases.id, { onDelete: 'cascade' }),
  occurrences: integer().notNull().default(0),
  firstSeenAt: timestamp({ withTimezone: true }).notNull(),
  lastSeenAt: timestamp({ withTimezone: true }).notNull(),
}, t => [
  primaryKey({ columns: [t.clusterId, t.testCaseId] }),
  index('cluster_test_cases_test_case_idx').on(t.testCaseId),
])

/**
 * A cluster's results per run (services/clustering.ts keeps it at ingest, merge and re-clustering; deleted runs take
 * their rows along by cascade): the cluster's run statistics, days and branches without reading its results.
 * The key walked backwards is the newest-first order of the cluster's runs.
 */
export const clusterRuns = pgTable('cluster_runs', {
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  clusterId: uuid().notNull().references(() => failureClusters.id, { onDelete: 'cascade' }),
  runStartedAt: timestamp({ withTimezone: true }).notNull(),
  runId: uuid().notNull().references(() => runs.id, { onDelete: 'cascade' }),
  /** The run's branch, as the run has it (a run keeps the branch it was created with). */
  branch: text(),
  /** Results of the run in the cluster: failures and retry passes. */
  hits: integer().notNull(),
  /**
   * The cluster's results in the run were an outage's, as of its last upload: the run's infrastructure flag (runs.infra),
   * or every one of them marked as an outage of its shard or job (test_results.infra).
   */
  infra: boolean().notNull().default(false),
}, t => [
  primaryKey({ columns: [t.projectId, t.clusterId, t.runStartedAt, t.runId] }),
  index('cluster_runs_run_idx').on(t.runId),
])

/** Extra fingerprints that resolve to a cluster: merges by hand, and fingerprints of older algorithm versions. */
export const clusterAliases = pgTable('cluster_aliases', {
  projectId: uuid().notNull().references(() => projects.id, { onDelete: 'cascade' }),
  fingerprint: text().notNull(),
  clusterId: uuid().notNull().references(() => failureClusters.id, { onDelete: 'cascade' }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [uniqueIndex('cluster_aliases_project_fingerprint_idx').on(t.projectId, t.fingerprint)])

export interface DiagnosisEvidence { runId: string, resultId: string | null, quote: string, why: string }

/** A versioned analysis of one cluster, by the rule engine or an LLM. */
export const diagnoses = pgTable('diagnoses', {
  id: uuid().primaryKey().defaultRandom(),
  clusterId: uuid().notNull().references(() => failureClusters.id, { onDelete: 'cascade' }),
  version: integer().notNull(),
  engine: diagnosisEngineEnum().notNull(),
  model: text(),
  category: failureCategoryEnum().notNull(),
  summary: text().notNull(),
  rootCause: text().notNull(),
  evidence: jsonb().$type<DiagnosisEvidence[]>().notNull(),
  suggestedFix: text().notNull(),
  investigationSteps: jsonb().$type<string[]>().notNull(),
  confidence: real().notNull(),
  inputTokens: integer(),
  outputTokens: integer(),
  costUsd: real(),
  latencyMs: integer(),
  /** Provider failure that made the rule engine's answer stand. */
  error: text(),
  /** The evidence this version saw (affected tests, error variants, cluster counters): a new version needs more. */
  basis: jsonb().$type<StoredBasis>(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [uniqueIndex('diagnoses_cluster_version_idx').on(t.clusterId, t.version)])

export const diagnosisFeedback = pgTable('diagnosis_feedback', {
  id: uuid().primaryKey().defaultRandom(),
  diagnosisId: uuid().notNull().references(() => diagnoses.id, { onDelete: 'cascade' }),
  userId: uuid().references(() => users.id, { onDelete: 'set null' }),
  helpful: integer().notNull(),
  note: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
}, t => [index('diagnosis_feedback_diagnosis_idx').on(t.diagnosisId)])

export const settings = pgTable('settings', {
  key: text().primaryKey(),
  value: jsonb().notNull(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
})
