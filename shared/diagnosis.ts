import type { NamedTest } from './test-names'

/**
 * Whether a diagnosis made at `createdAt` predates the cluster's latest failure, by its run's start (`lastSeenAt`; a
 * run uploaded late is not told apart): then the scores and counts it quotes are of its time. The cluster page and
 * get_cluster say so by this one rule.
 */
export const predatesLatestFailure = (createdAt: string, lastSeenAt: string): boolean => createdAt < lastSeenAt

/**
 * The test a context bundle's error or affected test names, read back from its `test` (its suites, without a framework's
 * default root, and its title as stored, joined by ` › `: server/services/diagnoses/evidence.ts). The reproduce command
 * is written from the stored title (pytest selects a test by its escaped id); prose names it as lists do (testName).
 */
export function contextTest(test: string): NamedTest {
  const parts = test.split(' › ')
  return { suitePath: parts.slice(0, -1), title: parts[parts.length - 1]! }
}
