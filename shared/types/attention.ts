import type { ClusterStatus, FailureCategory } from '../constants'

export interface AttentionCluster {
  id: string
  project: string
  title: string
  category: FailureCategory
  status: ClusterStatus
  occurrences: number
  affectedTests: number
  firstSeenAt: string
  lastSeenAt: string
}

export interface AttentionTest {
  testCaseId: string
  project: string
  title: string
  variant: string | null
  score: number
  confidence: number
  flakySince: string
}

/** What changed lately and wants a person: the overview's "needs attention" list. */
export interface Attention {
  since: string
  newClusters: AttentionCluster[]
  regressedClusters: AttentionCluster[]
  newlyFlaky: AttentionTest[]
}
