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
