import type { ClusterStatus } from '../constants'

/** A cluster's triage state after a change. */
export interface ClusterTriage {
  id: string
  status: ClusterStatus
  statusNote: string | null
  statusChangedAt: string | null
  statusChangedBy: string | null
  occurrences: number
  affectedTests: number
  issueUrl: string | null
}
