import type { RunStatus } from '../constants'
import type { RunCounts } from './ingest'

export interface ProjectSummary {
  id: string
  slug: string
  name: string
  defaultBranch: string
  repositoryUrl: string | null
  runCount: number
  latestRun: { id: string, status: RunStatus, branch: string | null, commit: string | null, startedAt: string, counts: RunCounts } | null
}

/** A project's settings page: what a member or an admin may change, and the server default retention beside it. */
export interface ProjectSettings {
  slug: string
  name: string
  defaultBranch: string
  repositoryUrl: string | null
  /** Days of runs kept; null = the server default. */
  retentionDays: number | null
  /** PROOFDECK_RETENTION_DAYS; null = forever. */
  serverRetentionDays: number | null
}

/** What one pass of retention deleted, per project that has a retention. */
export interface RetentionOutcome {
  projects: {
    slug: string
    retentionDays: number
    runsDeleted: number
    webhookDeliveriesDeleted: number
    resultPropertiesDeleted: number
  }[]
  runsDeleted: number
  /** UTC months (`YYYY-MM`) whose results were dropped whole (a partition), before the rest went row by row. */
  monthsDropped: string[]
  /** Delivered or failed webhook deliveries older than their project's retention (pending ones wait for their retries). */
  webhookDeliveriesDeleted: number
  /** Stored results' properties objects that no remaining run's results point at any more. */
  resultPropertiesDeleted: number
}
