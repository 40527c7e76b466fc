import { describe, expect, it } from 'vitest'
import * as shared from '../../../shared/outages'
import * as cli from '../../../cli/lib/outages.mjs'

const ERROR = 'Error: connect ECONNREFUSED 127.0.0.1:5432'

/** The CLI keeps its own copy of the outage sentences (it imports nothing of the dashboard's): both say the same. */
describe('an outage upload in words, the same from the CLI and the dashboard', () => {
  it.each([
    { o: { shard: '2/4', job: 'e2e' }, place: 'shard 2/4 of e2e' },
    { o: { shard: '2/4', job: null }, place: 'shard 2/4' },
    { o: { shard: null, job: 'e2e' }, place: 'job e2e' },
    { o: { shard: null, job: null }, place: null },
  ])('uploadPlace $o', ({ o, place }) => {
    expect(shared.uploadPlace(o)).toBe(place)
    expect(cli.uploadPlace(o)).toBe(place)
  })

  it.each([
    { o: { executed: 10, failed: 10, causeFailures: 10, error: ERROR }, said: `10 of 10 tests failed on ${ERROR}` },
    { o: { executed: 1, failed: 1, causeFailures: 1, error: ERROR }, said: `1 of 1 test failed on ${ERROR}` },
    { o: { executed: 1200, failed: 1100, causeFailures: 1000, error: ERROR }, said: `1,100 of 1,200 tests failed, 1,000 of them on ${ERROR}` },
  ])('outageFacts $said', ({ o, said }) => {
    expect(shared.outageFacts(o)).toBe(said)
    expect(cli.outageFacts(o)).toBe(said)
    const code = (e: string) => `\`${e}\``
    expect(cli.outageFacts(o, code)).toBe(shared.outageFacts(o, code))
  })
})
