import type { ClusterStatus, DiagnosisEngine, FailureCategory, FlakyLabel, TestStatus } from '../constants'

/** One claim of a diagnosis, pinned to a run (and result) and the exact line it rests on. */
export interface DiagnosisEvidenceItem {
  runId: string
  resultId: string | null
  /** The test of that result (get_test_case, the test page); absent without a result and on versions stored before it. */
  testCaseId?: string
  quote: string
  why: string
}

/** One stored version of a cluster's diagnosis. */
export interface DiagnosisDetail {
  id: string
  clusterId: string
  version: number
  /** What changed in the evidence since the previous version, e.g. `"checkout › pays" turned broken (was flaky)`; null for v1. */
  changed: string | null
  engine: DiagnosisEngine
  /** The LLM that answered, or that was tried when `engine` is `rules` and `error` says why it did not stand. */
  model: string | null
  category: FailureCategory
  summary: string
  rootCause: string
  evidence: DiagnosisEvidenceItem[]
  suggestedFix: string
  investigationSteps: string[]
  confidence: number
  inputTokens: number | null
  outputTokens: number | null
  costUsd: number | null
  latencyMs: number | null
  error: string | null
  createdAt: string
  feedback: { helpful: number, wrong: number, mine: DiagnosisFeedbackView | null }
  /** The number of each run the text and evidence cite, by id: the dashboard writes "#50" where they have its id. */
  runNumbers?: Record<string, number>
}

export interface DiagnosisFeedbackView {
  helpful: boolean
  note: string | null
  createdAt: string
}

export interface DiagnosisVersionSummary {
  id: string
  version: number
  changed: string | null
  engine: DiagnosisEngine
  model: string | null
  category: FailureCategory
  confidence: number
  error: string | null
  createdAt: string
}

/** `GET /api/clusters/:clusterId/diagnosis`: the newest version and the list of all versions. */
export interface ClusterDiagnosis {
  clusterId: string
  /** Null until the first diagnosis lands (it is made after the upload that created the cluster). */
  latest: DiagnosisDetail | null
  /** While `latest` is null: a sentence saying the diagnosis is on its way. */
  note: string | null
  versions: DiagnosisVersionSummary[]
}

export interface ContextRunRef {
  runId: string
  branch: string | null
  commit: string | null
  commitMessage: string | null
  startedAt: string
  buildUrl: string | null
}

export interface ContextLogExcerpt {
  stream: 'stdout' | 'stderr'
  /** 1-based line numbers of the excerpt within the stored log. */
  fromLine: number
  toLine: number
  totalLines: number
  text: string
}

/**
 * The JVM build that ran a test, as its run's reports say (server/analysis/jvm-build.ts): `module` is the directory
 * of the project under the build's root ('' for the root project, null when unknown); `task` Gradle's test task
 * (`test`, `integrationTest`) or Maven's phase (`test`, `verify` for Failsafe), null when unknown.
 */
export interface JvmBuild {
  tool: 'gradle' | 'maven'
  /**
   * The module's path from the repository's root ('' the root project), or several when the class is in more than one
   * (the same class name in two modules of one run); null when unknown.
   */
  module: string | string[] | null
  task: string | null
  /** A Maven module that is a project of its own (no reactor above it): run with `-f <module>/pom.xml`, not `-pl`. */
  standalone?: boolean
}

/** One representative failure as the context shows it (already redacted and trimmed). */
export interface ContextError {
  resultId: string
  runId: string
  testCaseId: string
  test: string
  file: string | null
  variant: string | null
  branch: string | null
  commit: string | null
  at: string
  status: TestStatus
  attempts: number
  message: string
  stack: string | null
  /** Index (0-based) of an earlier error whose stack is the same: that stack is not repeated. */
  sameStackAs: number | null
  failingSteps: string[]
  logs: ContextLogExcerpt[]
  /** The JVM build that ran it, when its run says (a reproducing command names the tool); absent otherwise. */
  build?: JvmBuild
}

export interface ContextAffectedTest {
  testCaseId: string
  test: string
  file: string | null
  variant: string | null
  occurrences: number
  lastSeenAt: string
  flakyLabel: FlakyLabel
  flakyScore: number
  flakyConfidence: number
  failedRuns: number
  flakyRuns: number
  lastFlakeAt: string | null
}

export interface ContextRunStat {
  runId: string
  at: string
  branch: string | null
  commit: string | null
  /** Results of this cluster in the run. */
  hits: number
  executed: number
  failing: number
  /**
   * This cluster's results in the run were an outage's: most of the suite failed in the run, or (`uploadOutage`) the
   * shard or job that ran them failed by itself (test_results.infra) though the run is not an outage.
   */
  infra: boolean
  uploadOutage?: true
}

export interface ContextSimilarCluster {
  clusterId: string
  title: string
  status: ClusterStatus
  note: string | null
  similarity: number
  lastSeenAt: string
  diagnosisSummary: string | null
}

/** The structured half of the context bundle: exactly what the markdown says, as data. */
export interface ClusterContextData {
  cluster: {
    id: string
    project: string
    title: string
    errorType: string
    category: FailureCategory
    locator: string | null
    location: string | null
    status: ClusterStatus
    statusNote: string | null
    occurrences: number
    affectedTests: number
    runs: number
    branches: string[]
    firstSeenAt: string
    lastSeenAt: string
  }
  errors: ContextError[]
  affectedTests: { total: number, shown: ContextAffectedTest[] }
  firstFailure: {
    run: ContextRunRef
    lastGreenRun: ContextRunRef | null
    /** Runs CI made on that branch after the last green run, up to and including the first failure. */
    commits: { sha: string, message: string | null, runId: string, at: string }[]
    commitsTotal: number
  } | null
  history: {
    days: { day: string, occurrences: number }[]
    branches: { branch: string, occurrences: number }[]
    /** The runs this cluster appeared in (newest first, capped); `infra` marks runs where its results were an outage's. */
    runs: ContextRunStat[]
    runsTotal: number
    /** Occurrences (all time) that were an outage's: in runs where most of the suite failed, or in a shard or job that did. */
    infraHits: number
  }
  similarResolved: ContextSimilarCluster[]
  /** Secrets replaced in the text above, by kind. */
  redactions: Record<string, number>
}

/** `GET /api/clusters/:clusterId/context` and the MCP tool `get_cluster_context`: what a diagnosis engine receives. */
export interface ClusterContext {
  clusterId: string
  markdown: string
  data: ClusterContextData
  /** What the size budget (or the fixed caps) left out, one sentence each. */
  omitted: string[]
  /** Estimated tokens of `markdown`. */
  approxTokens: number
  budgetTokens: number
}

export type AiProvider = 'openai' | 'anthropic'

/** `GET /api/settings/ai`: the provider settings, never the key itself. */
export interface AiSettingsView {
  /** `env`: set by PROOFDECK_LLM_* variables (read-only here); `settings`: saved on this page; `none`: rule engine only. */
  source: 'env' | 'settings' | 'none'
  provider: AiProvider | null
  baseUrl: string | null
  model: string | null
  apiKey: { set: boolean, last4: string | null }
  priceInputPerMtok: number | null
  priceOutputPerMtok: number | null
  /** Set when a stored key can no longer be read (the server secret changed). */
  problem: string | null
}

export interface AiTestResult {
  ok: boolean
  model: string | null
  latencyMs: number
  message: string
}

export interface DiagnosisUsageDay {
  day: string
  diagnoses: number
  llmCalls: number
  llmErrors: number
  inputTokens: number
  outputTokens: number
  costUsd: number
}

/** `GET /api/usage`: diagnoses and LLM spend per day over a window, for the caller's projects. */
export interface DiagnosisUsage {
  from: string
  to: string
  days: DiagnosisUsageDay[]
  byModel: { model: string, calls: number, inputTokens: number, outputTokens: number, costUsd: number }[]
  totals: Omit<DiagnosisUsageDay, 'day'>
}
