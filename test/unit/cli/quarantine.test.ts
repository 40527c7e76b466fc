import { describe, expect, it } from 'vitest'
import { blockingVerdict } from '../../../cli/lib/quarantine.mjs'
import type { IngestReceipt } from '#shared/types/ingest'

const counts = { tests: 10, passed: 8, failed: 2, errored: 0, skipped: 0, flaky: 0 }
const q = (i: number) => ({ testCaseId: `q${i}`, title: `slow search ${i}`, reason: `vendor sandbox #${i}` })
const b = (i: number) => ({ testCaseId: `b${i}`, title: `checkout ${i}`, reason: '' })

function receipt(blocking: number, quarantined: number): Pick<IngestReceipt, 'counts' | 'failures'> {
  return {
    counts,
    failures: {
      blocking: Array.from({ length: Math.min(blocking, 20) }, (_, i) => b(i + 1)).map(({ reason: _, ...t }) => t),
      quarantined: Array.from({ length: Math.min(quarantined, 20) }, (_, i) => q(i + 1)),
      counts: { blocking, quarantined },
    },
  }
}

describe('blockingVerdict (upload --fail-on-blocking)', () => {
  it.each([
    ['no failure', receipt(0, 0), 0, null],
    ['only quarantined failures: forgiven, and named', receipt(0, 2), 0,
      '2 failures forgiven: quarantined — slow search 1 (vendor sandbox #1), slow search 2 (vendor sandbox #2)'],
    ['one blocking failure among quarantined ones', receipt(1, 1), 1, '1 failure blocking: checkout 1 (1 failure forgiven: quarantined)'],
    ['many blocking failures: five named, the count of the rest', receipt(30, 0), 1,
      '30 failures blocking: checkout 1, checkout 2, checkout 3, checkout 4, checkout 5, …and 25 more'],
    ['many quarantined failures: counted from the receipt\'s counts, not its capped list', receipt(0, 40), 0,
      '40 failures forgiven: quarantined — slow search 1 (vendor sandbox #1), slow search 2 (vendor sandbox #2), slow search 3 (vendor sandbox #3), '
      + 'slow search 4 (vendor sandbox #4), slow search 5 (vendor sandbox #5), …and 35 more'],
    ['a server without quarantine: any failure blocks', { counts }, 1,
      '2 failed (this server does not report quarantines, so every failure blocks)'],
  ])('%s', (_name, r, code, line) => {
    expect(blockingVerdict(r as IngestReceipt)).toEqual({ code, line })
  })
})
