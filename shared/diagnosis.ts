/**
 * Whether a diagnosis made at `createdAt` predates the cluster's latest failure, by its run's start (`lastSeenAt`; a
 * run uploaded late is not told apart): then the scores and counts it quotes are of its time. The cluster page and
 * get_cluster say so by this one rule.
 */
export const predatesLatestFailure = (createdAt: string, lastSeenAt: string): boolean => createdAt < lastSeenAt
