import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

/**
 * "Needs attention" counts what happened in CI (the runs' start times), not what was uploaded lately: a history
 * whose runs started 13–19 days ago, uploaded now, is not news; runs of the last days are.
 */
const DAY = 86_400_000
type Outcome = 'pass' | 'fail' | 'retry-pass'

/** Each failing test has its own cause (its own cluster); flaky tests fail an assertion and pass on retry. */
const CAUSES: Record<string, [type: string, message: string, frame: string]> = {
  'old broken': ['java.lang.IllegalStateException', 'ledger drift detected', 'com.acme.Ledger.close(Ledger.java:10)'],
  'new broken': ['java.lang.ArithmeticException', 'division by zero in tax split', 'com.acme.Tax.split(Tax.java:20)'],
  'regress me': ['java.util.NoSuchElementException', 'no coupon for this code', 'com.acme.Coupons.find(Coupons.java:30)'],
  'stale regress': ['java.lang.UnsupportedOperationException', 'refunds are read-only', 'com.acme.Refunds.apply(Refunds.java:40)'],
}
const TESTS = [...Object.keys(CAUSES), 'old flaky', 'new flaky', 'low flaky', 'steady 1', 'steady 2', 'steady 3', 'steady 4', 'steady 5']

function junit(outcomes: Record<string, Outcome>): string {
  const cases = TESTS.map((t) => {
    const open = `<testcase classname="com.acme.AttentionTest" name="${t}" time="0.1">`
    const o = outcomes[t] ?? 'pass'
    if (o === 'pass') return `${open}</testcase>`
    if (o === 'retry-pass') {
      return `${open}<flakyFailure message="expected: &lt;PAID&gt; but was: &lt;PENDING&gt;" type="org.opentest4j.AssertionFailedError">`
        + `at com.acme.Checkout.pay(Checkout.java:77)</flakyFailure></testcase>`
    }
    const [type, message, frame] = CAUSES[t]!
    return `${open}<failure message="${message}" type="${type}">${type}: ${message}\n\tat ${frame}</failure></testcase>`
  })
  return `<?xml version="1.0"?><testsuite name="attention">${cases.join('')}</testsuite>`
}

describe('needs attention, by when it happened in CI', () => {
  let server: TestServer
  let key: string
  let cookie: string
  const startOf = new Map<number, string>()
  let firstReceipt: any
  let lowFlakyReceipt: any
  const send = async (daysAgo: number, outcomes: Record<string, Outcome>, project = 'attention') => {
    const startedAt = new Date(Date.now() - daysAgo * DAY).toISOString()
    if (project === 'attention') startOf.set(daysAgo, startedAt)
    const commit = daysAgo.toString(16).replace('.', 'f').padEnd(40, 'a')
    const res = await upload(server, [{ name: 'TEST-attention.xml', content: junit(outcomes) }], {
      key, query: { project, branch: 'main', commit, runKey: `d-${daysAgo}`, startedAt },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body
  }
  const patch = async (clusterId: string, body: object) => {
    const res = await fetch(`${server.url}/api/clusters/${clusterId}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json', cookie, 'origin': server.url }, body: JSON.stringify(body),
    })
    expect(res.status).toBe(200)
  }
  const attention = async (query: string, as = cookie) => {
    const res = await fetch(`${server.url}/api/attention?${query}`, { headers: { cookie: as } })
    return { status: res.status, body: await res.json() as any }
  }
  const clusterOf = (test: string) => firstReceipt.newClusters.find((c: any) => c.title.includes(CAUSES[test]![1]))?.id as string

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    // Runs that started 19 to 13 days ago, uploaded now: an old breakage, an old flaky test (4 retry-passes).
    for (let d = 19; d >= 13; d--) {
      const body = await send(d, {
        'old broken': 'fail', 'old flaky': [19, 18, 16, 14].includes(d) ? 'retry-pass' : 'pass',
        ...(d === 19 ? { 'regress me': 'fail', 'stale regress': 'fail' } : {}),
      })
      firstReceipt ??= body
    }
    // Both resolved; one fails again in a run that started 14½ days ago (a late upload): regressed, but not lately.
    await patch(clusterOf('regress me'), { status: 'resolved' })
    await patch(clusterOf('stale regress'), { status: 'resolved' })
    await send(14.5, { 'old broken': 'fail', 'stale regress': 'fail' })
    // The last three days: a new breakage, a test flaky in 4 of 5 runs, one retry-pass of another, a regression.
    for (const d of [3, 2.5, 2, 1.5, 1]) {
      const body = await send(d, {
        'new broken': 'fail', 'new flaky': d === 2 ? 'pass' : 'retry-pass',
        ...(d === 1 ? { 'low flaky': 'retry-pass', 'regress me': 'fail' } : {}),
      })
      if (d === 1) lowFlakyReceipt = body
    }
  })
  afterAll(() => server?.stop())

  it('lists only clusters whose first failure ran in CI within the window, and says what the window is measured on', async () => {
    const { status, body } = await attention('days=7')
    expect(status).toBe(200)
    expect(body).toMatchObject({ measuredOn: 'runStart', minConfidence: 0.1 })
    expect(Date.parse(body.since)).toBeGreaterThan(Date.now() - 7 * DAY - 60_000)
    const fresh = body.newClusters.map((c: any) => c.title)
    expect(fresh).toEqual(expect.arrayContaining([expect.stringContaining('division by zero in tax split')]))
    expect(fresh.join('\n')).not.toContain('ledger drift detected')
    const newBroken = body.newClusters.find((c: any) => c.title.includes('division by zero'))
    expect(newBroken).toMatchObject({ firstSeenAt: startOf.get(3), lastSeenAt: startOf.get(1), occurrences: 5 })
    // A month back, the old breakage (first failure 19 days ago) is new too.
    const month = await attention('days=30')
    expect(month.body.newClusters.map((c: any) => c.id)).toContain(clusterOf('old broken'))
  })

  it('lists regressed clusters that failed again within the window, not those whose new failure ran long ago', async () => {
    const { body } = await attention('days=7')
    expect(body.regressedClusters.map((c: any) => c.id)).toEqual([clusterOf('regress me')])
    expect(body.regressedClusters[0]).toMatchObject({ status: 'regressed', firstSeenAt: startOf.get(19), lastSeenAt: startOf.get(1) })
    const month = await attention('days=30')
    expect(month.body.regressedClusters.map((c: any) => c.id).sort()).toEqual([clusterOf('regress me'), clusterOf('stale regress')].sort())
    // a list cut by its limit says how many there are, per project: the overview links each project's rest
    const one = await attention('days=30&limit=1')
    expect(one.body.regressedClusters).toHaveLength(1)
    expect(one.body.counts.regressedClusters).toEqual(month.body.counts.regressedClusters)
    const perProject = (list: any[]) => [...new Set(list.map(c => c.project as string))]
      .map(project => ({ project, clusters: list.filter(c => c.project === project).length }))
      .sort((a, b) => b.clusters - a.clusters || a.project.localeCompare(b.project))
    expect(month.body.counts.regressedClusters).toEqual(perProject(month.body.regressedClusters))
    expect(month.body.counts.newClusters).toEqual(perProject(month.body.newClusters))
    // each per-project count is the length of the clusters list the overview links it to
    const listed = async (project: string, query: string) => ((await (await fetch(
      `${server.url}/api/projects/${project}/clusters?limit=100&${query}`, { headers: { cookie } })).json()) as any).items.length
    const since = encodeURIComponent(month.body.since)
    for (const c of month.body.counts.newClusters) expect(await listed(c.project, `status=unresolved&firstSeenAfter=${since}`)).toBe(c.clusters)
    for (const c of month.body.counts.regressedClusters) expect(await listed(c.project, `status=regressed&lastSeenAfter=${since}`)).toBe(c.clusters)
    expect(month.body.counts.newClusters.length + month.body.counts.regressedClusters.length).toBeGreaterThan(0)
    expect(one.body.counts.moreNewlyFlaky).toBe(month.body.newlyFlaky.length > 1)
    expect(month.body.counts.moreNewlyFlaky).toBe(false)
  })

  it('lists tests whose first flaky evidence ran within the window, at the confidence floor or above', async () => {
    const { body } = await attention('days=7')
    expect(body.newlyFlaky.map((t: any) => t.title)).toEqual(['new flaky'])
    // first retry-pass 3 days ago; 4 flaky results of 13 → Wilson lower bound 0.127
    expect(body.newlyFlaky[0]).toMatchObject({ project: 'attention', flakySince: startOf.get(3), score: 0.308, confidence: 0.127 })
    // One retry-pass in 13 runs made "low flaky" flaky (the receipt says so) at confidence 0.014: below the floor.
    expect(lowFlakyReceipt.newlyFlaky).toEqual([expect.objectContaining({ title: expect.stringContaining('low flaky') })])
    // "old flaky" has been flaky since a run 19 days ago, though its label was computed minutes ago.
    const month = await attention('days=30')
    expect(month.body.newlyFlaky.map((t: any) => t.title)).toEqual(['new flaky', 'old flaky'])
    expect(month.body.newlyFlaky[1].flakySince).toBe(startOf.get(19))
  })

  it('does not take a long-flaky test for a new one when its stored evidence keeps only the newest flakes', async () => {
    // 2 retry-passes 19 days ago, then 20 in the last 2 days: the test case keeps the 20 newest pieces of evidence
    await send(19, { 'old flaky': 'retry-pass' }, 'attention-long')
    await send(18.5, { 'old flaky': 'retry-pass' }, 'attention-long')
    for (let i = 0; i < 20; i++) await send(2 - i / 20, { 'old flaky': 'retry-pass' }, 'attention-long')
    const { body } = await attention('days=7')
    expect(body.newlyFlaky.map((t: any) => `${t.project}/${t.title}`)).toEqual(['attention/new flaky'])
    const month = await attention('days=30')
    expect(month.body.newlyFlaky.map((t: any) => `${t.project}/${t.title}`)).toContain('attention-long/old flaky')
  })

  it('does not take a test flaky for weeks for a new one when its window of 30 results holds only its last days', async () => {
    // 6 runs a day for 12 days, a retry-pass in every third: the window is the last 5 days, all of its evidence in them
    for (let i = 72; i >= 1; i--) await send(i / 6, { 'old flaky': i % 3 === 0 ? 'retry-pass' : 'pass' }, 'attention-steady')
    const { body } = await attention('days=7')
    expect(body.newlyFlaky.map((t: any) => `${t.project}/${t.title}`)).not.toContain('attention-steady/old flaky')
    const month = await attention('days=30')
    expect(month.body.newlyFlaky.map((t: any) => `${t.project}/${t.title}`)).toContain('attention-steady/old flaky')
  })

  it('shows only the projects the caller can see; bad input is a 400, no session a 401', async () => {
    const res = await fetch(`${server.url}/api/users`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie, 'origin': server.url },
      body: JSON.stringify({ email: 'outsider@example.test', name: 'Outsider', password: 'another long passphrase here' }),
    })
    expect(res.status).toBe(201)
    const outsider = await login(server, { email: 'outsider@example.test', password: 'another long passphrase here' })
    expect((await attention('days=30', outsider)).body).toMatchObject({ newClusters: [], regressedClusters: [], newlyFlaky: [] })
    const password = 'another long passphrase here'
    const memberBody = { email: 'member@example.test', name: 'Member', password, projectSlugs: ['attention-long'] }
    const member = await fetch(`${server.url}/api/users`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie, 'origin': server.url }, body: JSON.stringify(memberBody),
    })
    expect(member.status).toBe(201)
    const memberCookie = await login(server, { email: 'member@example.test', password })
    const seen = (await attention('days=30', memberCookie)).body
    expect(seen.newlyFlaky.map((t: any) => `${t.project}/${t.title}`)).toEqual(['attention-long/old flaky'])
    expect([...seen.newClusters, ...seen.regressedClusters].filter((c: any) => c.project !== 'attention-long')).toEqual([])
    const bad = await attention('days=0')
    expect(bad.status).toBe(400)
    expect(bad.body.message).toContain('days is at least 1.')
    expect((await fetch(`${server.url}/api/attention`)).status).toBe(401)
  })
})
