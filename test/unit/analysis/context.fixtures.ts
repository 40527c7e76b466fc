import type { ClusterEvidence, EvidenceResult } from '../../../server/analysis/context'
import type { ContextAffectedTest, ContextRunStat } from '#shared/types/diagnosis'

let seq = 0
const id = (prefix: string) => {
  seq++
  return `${prefix}${String(seq).padStart(4, '0')}-0000-4000-8000-${String(seq).padStart(12, '0')}`
}

/** A failing result with sensible defaults. */
export function result(over: Partial<EvidenceResult> = {}): EvidenceResult {
  return {
    resultId: id('aaaa'), runId: id('bbbb'), testCaseId: id('cccc'), test: 'checkout › pays with card', file: 'tests/checkout.spec.ts',
    variant: 'chromium', branch: 'main', commit: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0', at: '2026-11-19T10:00:00.000Z', status: 'failed',
    attempts: 1, errorMessage: 'Error: boom', errorStack: null, stdout: null, stderr: null, steps: null, ...over,
  }
}

export function affected(over: Partial<ContextAffectedTest> = {}): ContextAffectedTest {
  return {
    testCaseId: id('cccc'), test: 'checkout › pays with card', file: 'tests/checkout.spec.ts', variant: 'chromium', occurrences: 3,
    lastSeenAt: '2026-11-19T10:00:00.000Z', flakyLabel: 'stable', flakyScore: 0, flakyConfidence: 0, failedRuns: 3, flakyRuns: 0, lastFlakeAt: null, ...over,
  }
}

export function runStat(over: Partial<ContextRunStat> = {}): ContextRunStat {
  return { runId: id('dddd'), at: '2026-11-19T10:00:00.000Z', branch: 'main', commit: 'a1b2c3d4e5', hits: 1, executed: 100, failing: 2, infra: false, ...over }
}

/** A cluster's evidence: one error by default; override any part. */
export function evidence(over: Partial<ClusterEvidence> & { samples?: EvidenceResult[] } = {}): ClusterEvidence {
  const samples = over.samples ?? [result()]
  return {
    cluster: {
      id: '11111111-1111-4111-8111-111111111111', project: 'web', title: samples[0]?.errorMessage?.split('\n')[0] ?? 'Error', errorType: 'Error',
      category: 'unknown', locator: null, location: null, status: 'open', statusNote: null, occurrences: samples.length, affectedTests: 1,
      branches: ['main'], firstSeenAt: '2026-11-18T10:00:00.000Z', lastSeenAt: '2026-11-19T10:00:00.000Z',
    },
    samples,
    affectedTests: samples.map(s => affected({ testCaseId: s.testCaseId, test: s.test })),
    affectedTestsTotal: samples.length,
    runs: samples.map(s => runStat({ runId: s.runId })),
    runsTotal: samples.length,
    infraHits: 0,
    days: [{ day: '2026-11-19', occurrences: samples.length }],
    branches: [{ branch: 'main', occurrences: samples.length }],
    firstFailure: null,
    similarResolved: [],
    ...over,
  }
}
