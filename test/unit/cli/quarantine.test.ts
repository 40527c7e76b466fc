import { describe, expect, it } from 'vitest'
import { blockingVerdict, quarantineTitles } from '../../../cli/lib/quarantine.mjs'
import type { IngestReceipt } from '#shared/types/ingest'

const counts = { tests: 10, passed: 8, failed: 2, errored: 0, skipped: 0, flaky: 0 }
const q = (i: number) => ({ testCaseId: `q${i}`, title: `slow search ${i}`, variant: null, reason: `vendor sandbox #${i}` })
const b = (i: number) => ({ testCaseId: `b${i}`, title: `checkout ${i}`, variant: null, reason: '' })

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

describe('the variants of quarantined tests', () => {
  it('names each failure with its configuration in the verdict', () => {
    const r = receipt(1, 1)
    r.failures!.blocking[0]!.variant = 'firefox'
    r.failures!.quarantined[0]!.variant = 'webkit'
    expect(blockingVerdict(r as IngestReceipt).line).toBe('1 failure blocking: checkout 1 [firefox] (1 failure forgiven: quarantined)')
    const failures = { ...r.failures!, blocking: [], counts: { blocking: 0, quarantined: 1 } }
    const quarantinedOnly = { ...r, failures } as unknown as IngestReceipt
    expect(blockingVerdict(quarantinedOnly).line)
      .toBe('1 failure forgiven: quarantined — slow search 1 [webkit] (vendor sandbox #1)')
  })

  const items = [
    { title: 'updates quantity', variant: 'webkit' }, { title: 'applies coupon', variant: 'chromium' },
    { title: 'applies coupon', variant: 'firefox' }, { title: 'exports CSV', variant: null },
  ]
  it('lists each title once, and says which a title filter would skip in configurations it is not quarantined in', () => {
    const all = quarantineTitles(items, undefined)
    expect(all.titles).toEqual(['updates quantity', 'applies coupon', 'exports CSV'])
    expect(all.warnings).toEqual([
      'warning: "updates quantity" is quarantined in webkit: skipped by its title, it is skipped in any other configuration too (pass --variant <name> to list one configuration\'s)',
      'warning: "applies coupon" is quarantined in chromium, firefox: skipped by its title, it is skipped in any other configuration too (pass --variant <name> to list one configuration\'s)',
    ])
  })

  it('lists one configuration\'s with --variant, and the tests without a variant', () => {
    expect(quarantineTitles(items, 'webkit')).toEqual({ titles: ['updates quantity', 'exports CSV'], warnings: [] })
    expect(quarantineTitles(items, 'chromium')).toEqual({ titles: ['applies coupon', 'exports CSV'], warnings: [] })
  })
})

describe('a shard judged by its own tests', () => {
  it('passes a shard whose tests all passed though another shard\'s failed, and fails the shard that failed', () => {
    const other = { ...receipt(2, 0), failures: { ...receipt(2, 0).failures!, thisUpload: { blocking: 0, quarantined: 0 } } }
    expect(blockingVerdict(other as IngestReceipt)).toEqual({
      code: 0, line: 'none of this upload\'s tests blocks; 2 failures blocking in other uploads of the run: checkout 1, checkout 2',
    })
    const own = { ...receipt(2, 0), failures: { ...receipt(2, 0).failures!, thisUpload: { blocking: 1, quarantined: 0 } } }
    expect(blockingVerdict(own as IngestReceipt).code).toBe(1)
  })
})
