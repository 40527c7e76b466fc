/** Status and scope vocabularies: one tuple each, feeding both the drizzle pgEnums and the zod enums. */

export const TEST_STATUSES = ['passed', 'failed', 'errored', 'skipped'] as const
export type TestStatus = (typeof TEST_STATUSES)[number]

/** `empty`: a valid report with no tests and no top-level error (a run that failed before any test is `failed`). */
export const RUN_STATUSES = ['passed', 'failed', 'empty'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]

export const REPORT_FORMATS = ['junit', 'playwright', 'ctrf', 'proofdeck'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export const USER_ROLES = ['admin', 'member', 'viewer'] as const
export type UserRole = (typeof USER_ROLES)[number]

export const API_KEY_SCOPES = ['ingest', 'read'] as const
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number]

export const CLUSTER_STATUSES = ['open', 'investigating', 'resolved', 'ignored', 'regressed'] as const
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number]
/** The clusters still to work on: a project's "open clusters" count, and the clusters list's `unresolved` filter. */
export const UNRESOLVED_CLUSTER_STATUSES = ['open', 'investigating', 'regressed'] as const satisfies readonly ClusterStatus[]
/** What a person may set; `regressed` is set by ingest when a resolved cluster fails again. */
export const TRIAGE_STATUSES = ['open', 'investigating', 'resolved', 'ignored'] as const satisfies ClusterStatus[]
export type TriageStatus = (typeof TRIAGE_STATUSES)[number]

/** `build`: the code or its tests did not compile, so no test of it ran. */
export const FAILURE_CATEGORIES = [
  'timeout', 'locator', 'assertion', 'build', 'network', 'crash', 'environment', 'infrastructure', 'flaky', 'unknown',
] as const
export type FailureCategory = (typeof FAILURE_CATEGORIES)[number]

/** `new`: too few results on the branch that matters to say (fewer than 5). */
export const FLAKY_LABELS = ['stable', 'flaky', 'broken', 'new'] as const
export type FlakyLabel = (typeof FLAKY_LABELS)[number]

export const DIAGNOSIS_ENGINES = ['rules', 'openai', 'anthropic'] as const
export type DiagnosisEngine = (typeof DIAGNOSIS_ENGINES)[number]

/** A quarantined test that passed this many runs in a row since it was quarantined is proposed for release. */
export const QUARANTINE_RELEASE_PASSES = 10

/** A quarantine's reason is shown on the test page, the flaky list and to agents: one sentence, not an essay. */
export const QUARANTINE_REASON_MAX = 500

/** What a project's webhooks can subscribe to (docs/webhooks.md says when each fires). */
export const WEBHOOK_EVENTS = ['run.failed', 'run.recovered', 'cluster.new', 'cluster.regressed', 'test.broken', 'test.flaky'] as const
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]

/** `json`: the signed event; `slack`: a Slack incoming-webhook message. */
export const WEBHOOK_FORMATS = ['json', 'slack'] as const
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number]

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number]

/** The owner filter's value for tests without an owner (CODEOWNERS owners always hold an @, so no owner is named this). */
export const NO_OWNER = 'none'

/** The MCP tools, in the order tools/list gives them (server/mcp/tools; ENABLED_TOOLS and DISABLED_TOOLS name them). */
export const MCP_TOOL_NAMES = [
  'list_projects', 'get_project', 'list_runs', 'get_run', 'list_failed_cases', 'list_flaky_tests',
  'get_test_case', 'list_clusters', 'get_cluster', 'get_cluster_diagnosis', 'get_cluster_context',
] as const
