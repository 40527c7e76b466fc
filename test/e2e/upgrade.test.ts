import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, login, upload } from './client'
import { queryDb, startServer, type TestServer } from './server'

/** A word per number (0 → "a", 27 → "bb"): messages whose numbers would be read as one value. */
const word = (i: number): string => (i >= 26 ? word(Math.floor(i / 26) - 1) : '') + String.fromCharCode(97 + (i % 26))

/** A JUnit report of `failing` tests, each failing with its own assertion, and `target` failing last. */
function report(failing: number, target: boolean): string {
  const cases = Array.from({ length: failing }, (_, i) => `<testcase classname="com.acme.Case${i}Test" name="works${i}">`
    + `<failure message="expected the ${word(i)} total" type="java.lang.AssertionError">java.lang.AssertionError: expected the ${word(i)} total to be computed\n`
    + `\tat com.acme.Case${i}Test.works${i}(Case${i}Test.java:${10 + i})\n</failure></testcase>`)
  if (target) cases.push('<testcase classname="com.acme.PayTest" name="charges"><failure type="java.lang.IllegalStateException">'
    + 'java.lang.IllegalStateException: card vault sealed\n\tat com.acme.PayTest.charges(PayTest.java:7)\n</failure></testcase>')
  return `<?xml version="1.0"?><testsuite name="acme" tests="${cases.length}">${cases.join('')}</testsuite>`
}

/**
 * The first start of a new version re-clusters failures fingerprinted by an older algorithm in the background; an
 * upload sent meanwhile waits for it, so a known cause stays known and keeps its triage. (On PGlite, one connection,
 * the upload used to wait too; on Postgres it made a new cluster the old one was then folded into.)
 */
describe('uploads during the first start\'s re-clustering', () => {
  let server: TestServer
  let restarted: TestServer | undefined

  beforeAll(async () => { server = await startServer() })
  afterAll(async () => {
    await restarted?.kill()
    await server?.stop()
  })

  it('wait for it: a known failure joins its cluster, which keeps its status and note, and nothing is called new', async () => {
    const cookie = await login(server)
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    // 120 causes to re-cluster first, the triaged one last
    const first = await upload(server, [{ name: 'junit.xml', content: report(120, true) }], { key, query: { project: 'upgrade', runKey: 'r1' } })
    expect(first.status, JSON.stringify(first.body)).toBe(201)
    const [target] = await queryDb(server.env, `select id from failure_clusters where title like '%card vault sealed%'`)
    const triaged = await fetch(`${server.url}/api/clusters/${target!.id}`, {
      method: 'PATCH', headers: { 'cookie': cookie, 'origin': server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'investigating', note: 'alice is on it' }),
    })
    expect(triaged.status, await triaged.text()).toBe(200)
    await server.kill()
    // as an older algorithm left them: other keys, no aliases of the new ones
    await queryDb(server.env, `update failure_clusters set fingerprint = 'v0:' || substr(fingerprint, 4), fingerprint_version = 0`)
    await queryDb(server.env, `update cluster_aliases set fingerprint = 'v0:' || substr(fingerprint, 4)`)

    // sent as soon as the database is open, before health says ready (with its code loaded, under a second on an
    // idle machine, the re-clustering of a large history runs on long after)
    restarted = await startServer({ ...server.env }, { waitHealthy: false })
    const opened = Date.now() + 60_000
    while (!restarted.logs().includes('database ready') && Date.now() < opened) await new Promise(r => setTimeout(r, 20))
    const again = await upload(restarted, [{ name: 'junit.xml', content: report(0, true) }], { key, query: { project: 'upgrade', runKey: 'r2' } })
    expect(again.status, JSON.stringify(again.body)).toBe(201)
    expect(again.body.newClusters).toEqual([])
    expect(restarted.logs()).toMatch(/re-clustered the failures of 121 cluster\(s\)/)
    expect(again.body.failureGroups.groups.map((g: { clusterId: string }) => g.clusterId)).toEqual([target!.id])
    const cluster = await (await fetch(`${restarted.url}/api/clusters/${target!.id}`, { headers: { cookie: await login(restarted) } })).json() as any
    expect([cluster.id, cluster.status, cluster.statusNote, cluster.occurrences]).toEqual([target!.id, 'investigating', 'alice is on it', 2])
  })
})
