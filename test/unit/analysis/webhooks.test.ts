import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { deliveryBody, deriveWebhookEvents, signBody, slackMessage, type UploadFacts } from '../../../server/analysis/webhooks'

const BASE = 'https://pd.example.com'
const counts = { tests: 3, passed: 1, failed: 2, errored: 0, skipped: 0, flaky: 0 }

function facts(over: Partial<UploadFacts['receipt']> = {}, rest: Partial<Omit<UploadFacts, 'receipt'>> = {}): UploadFacts {
  return {
    receipt: {
      runId: 'run-2', url: `${BASE}/runs/run-2`, project: 'web', status: 'failed', branch: 'main', commit: 'abcdef1234567890', counts,
      newClusters: [], newlyFlaky: [], failures: { blocking: [], quarantined: [], counts: { blocking: 0, quarantined: 0 } }, ...over,
    },
    previousStatus: null, regressed: [], broken: [], ...rest,
  }
}

describe('webhook events of an upload', () => {
  it.each([
    ['a failed run', facts(), ['run.failed']],
    ['a passing run after a failed one', facts({ status: 'passed' }, { previousStatus: 'failed' }), ['run.recovered']],
    ['a sharded run passing so far after a failed one: not recovered until its last shard is in',
      facts({ status: 'passed', shards: { expected: 4, received: 1, missing: [2, 3, 4] } }, { previousStatus: 'failed' }), []],
    ['two jobs\' shards, one job all in: not recovered until the other\'s are', facts({ status: 'passed', shards: { expected: 6, received: 4, missing: ['api 2/3', 'api 3/3'], jobs: [
      { job: 'api', expected: 3, received: 1, missing: [2, 3] }, { job: 'e2e', expected: 3, received: 3, missing: [] },
    ] } }, { previousStatus: 'failed' }), []],
    ['its last shard in, passing', facts({ status: 'passed', shards: { expected: 4, received: 4, missing: [] } }, { previousStatus: 'failed' }), ['run.recovered']],
    ['a passing run after a passing one', facts({ status: 'passed' }, { previousStatus: 'passed' }), []],
    ['a branch\'s first run, passing', facts({ status: 'passed' }), []],
    ['an empty run', facts({ status: 'empty' }, { previousStatus: 'failed' }), []],
    ['new clusters, a regression, a broken and a flaky test', facts({
      newClusters: [{ id: 'c1', title: 'Timeout in checkout', category: 'timeout', occurrences: 2 }],
      newlyFlaky: [{ testCaseId: 't2', title: 'search', score: 0.4 }],
    }, { regressed: [{ id: 'c0', title: 'Old bug', category: 'assertion', occurrences: 9 }], broken: [{ id: 't1', title: 'pay', suitePath: [], reason: 'failed 3 runs' }] }),
    ['run.failed', 'cluster.new', 'cluster.regressed', 'test.broken', 'test.flaky']],
  ])('%s', (_, input, expected) => {
    expect(deriveWebhookEvents(input, BASE).map(e => e.event)).toEqual(expected)
  })

  it('links every subject to its dashboard page and keys events so a shard of the same run fires nothing twice', () => {
    const events = deriveWebhookEvents(facts({
      newClusters: [{ id: 'c1', title: 'Timeout', category: 'timeout', occurrences: 1 }],
      failures: {
        blocking: [{ testCaseId: 't1', title: 'pay', variant: null }], quarantined: [{ testCaseId: 't3', title: 'slow', variant: 'webkit', reason: 'vendor' }],
        counts: { blocking: 1, quarantined: 1 },
      },
    }, { broken: [{ id: 't1', title: 'pay', suitePath: [], reason: null }] }), BASE)
    const byEvent = Object.fromEntries(events.map(e => [e.event, e]))
    expect(byEvent['run.failed']).toMatchObject({
      dedupKey: 'run-2',
      payload: {
        project: { slug: 'web', url: `${BASE}/projects/web` },
        run: { id: 'run-2', url: `${BASE}/runs/run-2`, branch: 'main', commit: 'abcdef1234567890', status: 'failed', counts },
        tests: [
          { id: 't1', title: 'pay', variant: null, quarantined: false, url: `${BASE}/tests/t1` },
          { id: 't3', title: 'slow', variant: 'webkit', quarantined: true, url: `${BASE}/tests/t3` },
        ],
        failures: { blocking: 1, quarantined: 1 },
      },
    })
    // Slack names the configuration and says what a quarantine forgives
    const slack = JSON.stringify(slackMessage('run.failed', byEvent['run.failed']!.payload).blocks[0])
    expect(slack).toContain('1 passed, 2 failed (1 quarantined)')
    expect(slack).toContain(`<${BASE}/tests/t3|slow [webkit]> (quarantined)`)
    expect(byEvent['cluster.new']).toMatchObject({ dedupKey: 'c1', payload: { cluster: { id: 'c1', url: `${BASE}/clusters/c1`, occurrences: 1 } } })
    expect(byEvent['test.broken']).toMatchObject({ dedupKey: 't1:run-2', payload: { test: { id: 't1', url: `${BASE}/tests/t1` } } })
  })

  it('names a test as the lists do: a JVM test with its class, a newly flaky one without its whole suite path', () => {
    const events = deriveWebhookEvents(facts({
      newlyFlaky: [
        { testCaseId: 't2', title: 'com.acme.orders.RefundServiceTest › refundsOrder() [linux]', name: 'RefundServiceTest › refundsOrder()', variant: 'linux', score: 0.4 },
        // a receipt note stored by an older server: its label alone
        { testCaseId: 't4', title: 'pytest › tests.test_payments › test_charge', score: 0.3 },
      ],
      failures: { blocking: [{ testCaseId: 't1', title: 'pays()', name: 'CheckoutTest › pays()', variant: null }], quarantined: [], counts: { blocking: 1, quarantined: 0 } },
    }, { broken: [{ id: 't3', title: 'contextLoads()', suitePath: ['com.acme.api.ApplicationTests'], reason: 'failed 3 runs' }] }), BASE)
    const byEvent = (event: string) => events.filter(e => e.event === event).map(e => e.payload)
    const [flaky, older] = byEvent('test.flaky')
    expect(flaky!.test).toMatchObject({ title: 'com.acme.orders.RefundServiceTest › refundsOrder() [linux]', name: 'RefundServiceTest › refundsOrder()', variant: 'linux' })
    expect(slackMessage('test.flaky', flaky!).text).toBe('Test newly flaky: RefundServiceTest › refundsOrder() [linux]')
    expect(JSON.stringify(slackMessage('test.flaky', flaky!).blocks[0])).toContain(`<${BASE}/tests/t2|RefundServiceTest › refundsOrder() [linux]>`)
    expect(slackMessage('test.flaky', older!).text).toBe('Test newly flaky: pytest › tests.test_payments › test_charge')
    const [broken] = byEvent('test.broken')
    expect(broken!.test).toMatchObject({ title: 'contextLoads()', name: 'ApplicationTests › contextLoads()' })
    expect(slackMessage('test.broken', broken!).text).toBe('Test broken: ApplicationTests › contextLoads()')
    const [failed] = byEvent('run.failed')
    expect(failed!.tests).toEqual([expect.objectContaining({ title: 'pays()', name: 'CheckoutTest › pays()' })])
    expect(JSON.stringify(slackMessage('run.failed', failed!).blocks[0])).toContain(`<${BASE}/tests/t1|CheckoutTest › pays()>`)
  })
})

describe('webhook bodies', () => {
  const [event] = deriveWebhookEvents(facts({ failures: { blocking: [{ testCaseId: 't1', title: 'a <b> & c', variant: null }], quarantined: [], counts: { blocking: 1, quarantined: 0 } } }), BASE)

  it('signs the exact body with HMAC-SHA256 of the secret, as a receiver verifies it', () => {
    const body = deliveryBody('run.failed', 'd-1', event!.payload)
    expect(JSON.parse(body)).toMatchObject({ event: 'run.failed', deliveryId: 'd-1', run: { id: 'run-2' } })
    const signature = signBody(body, 'whsec_s3cret')
    expect(signature).toBe(`sha256=${createHmac('sha256', 'whsec_s3cret').update(body).digest('hex')}`)
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(signBody(`${body} `, 'whsec_s3cret')).not.toBe(signature)
    expect(signBody(body, 'whsec_other')).not.toBe(signature)
  })

  it('writes a Slack message with a notification text and linked, escaped blocks', () => {
    const msg = slackMessage('run.failed', event!.payload)
    expect(msg.text).toBe('Run failed: web main')
    const section = JSON.stringify(msg.blocks[0])
    expect(section).toContain(`<${BASE}/runs/run-2|Run> in <${BASE}/projects/web|web> (branch \`main\`, commit \`abcdef1234\`): 1 passed, 2 failed`)
    expect(section).toContain(`<${BASE}/tests/t1|a &lt;b&gt; &amp; c>`)
    const cluster = slackMessage('cluster.new', { ...event!.payload, cluster: { id: 'c', url: `${BASE}/clusters/c`, title: 'Boom', category: 'crash', occurrences: 1 } })
    expect(cluster.text).toBe('New failure cluster: Boom')
    expect(JSON.stringify(cluster.blocks)).toContain(`<${BASE}/clusters/c|Boom> (crash, 1 occurrence)`)
  })

  const outage = { upload: 'u-2', thisUpload: true, shard: '2/4', job: 'e2e', executed: 30, failed: 30, cause: 'network', causeFailures: 30, error: 'Error: connect ECONNREFUSED <db>' }
  it.each([
    ['no outage', [], ', 0 skipped, 0 flaky*'],
    ['one shard\'s', [outage], ', 0 skipped, 0 flaky; outage in shard 2/4 of e2e: 30 of 30 tests failed on `Error: connect ECONNREFUSED &lt;db&gt;`*'],
    ['a job\'s, most of its failures on the cause', [{ ...outage, shard: null, executed: 40, causeFailures: 20, error: 'a `b`' }],
      '; outage in job e2e: 30 of 40 tests failed, 20 of them on `a \'b\'`*'],
    ['an upload that said neither, and two more', [{ ...outage, shard: null, job: null }, outage, outage],
      '; outage in an upload: 30 of 30 tests failed on `Error: connect ECONNREFUSED &lt;db&gt;` (and 2 more uploads that were outages)*'],
  ])('says the run\'s outages after its counts: %s', (_, outages, clause) => {
    const [failed] = deriveWebhookEvents(facts({ outages }), BASE)
    expect(failed!.payload.run.outages).toEqual(outages.map(({ thisUpload: _, ...o }) => o))
    const section = (slackMessage('run.failed', failed!.payload).blocks[0] as { text: { text: string } }).text.text
    // the run's line, its end marked: the clause ends it
    expect(`${section.split('\n').find(l => l.includes(' passed, '))}*`).toContain(clause)
  })
})
