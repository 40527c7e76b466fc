import type { ClusterStatus, FailureCategory } from '../constants'

export interface AttentionCluster {
  id: string
  project: string
  title: string
  category: FailureCategory
  status: ClusterStatus
  occurrences: number
  affectedTests: number
  /** Start of the run of the cluster's first failure (when it happened in CI, not when it was uploaded). */
  firstSeenAt: string
  /** Start of the run of its latest failure. */
  lastSeenAt: string
}

export interface AttentionTest {
  testCaseId: string
  project: string
  title: string
  suitePath: string[]
  variant: string | null
  score: number
  /** Wilson lower bound (95%) of the score; listed only at `Attention.minConfidence` or more. */
  confidence: number
  /** Start of the run of the test's first flaky evidence (a pass on retry, a flip, a mixed commit). */
  flakySince: string
}

/** What changed lately and wants a person: the overview's "needs attention" list. */
export interface Attention {
  /** Start of the window: things count when their run started in CI after this instant. */
  since: string
  /** What the window is measured on: the runs' start times (`runs.started_at`), never upload times. */
  measuredOn: 'runStart'
  /** The confidence a flaky test needs to be listed as newly flaky. */
  minConfidence: number
  newClusters: AttentionCluster[]
  regressedClusters: AttentionCluster[]
  newlyFlaky: AttentionTest[]
  /**
   * What the lists hold in all (each shows its newest `limit`): the clusters of each section per project, most first,
   * and whether more tests became flaky than are listed.
   */
  counts: {
    newClusters: { project: string, clusters: number }[]
    regressedClusters: { project: string, clusters: number }[]
    moreNewlyFlaky: boolean
  }
}
