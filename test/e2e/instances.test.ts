import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { freshDatabase, queryDb, startServer, TEST_ADMIN, type TestServer } from './server'
import { createKey, login, upload } from './client'
import { fakeReceiver } from './receiver'

/** Four failures of four different causes: each run below fails one of them, so each makes one new cluster. */
const CAUSES = [
  'Error: connect ECONNREFUSED 127.0.0.1:5432',
  'TypeError: Cannot read properties of undefined (reading \'total\')',
  'AssertionError: expected the cart to be empty',
  'TimeoutError: locator.click: Timeout 5000ms exceeded waiting for the pay button',
]
const report = (failing: number) => JSON.stringify({
  format: 'proofdeck', version: 1,
  results: [
    { title: `checkout step ${failing}`, status: 'failed', errorMessage: CAUSES[failing] },
    { title: 'login works', status: 'passed' },
  ],
})

/**
 * Several app instances behind a load balancer share one Postgres (the embedded database is single-process, so this
 * file runs on Postgres only): sessions, uploads, the job queue (diagnoses, webhook deliveries), revoked keys (heard
 * through LISTEN/NOTIFY), sign-in limits and the results partition of a month two of them make at once behave as one server.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('two app instances on one Postgres', () => {
  const receiver = fakeReceiver()
  let a: TestServer
  let b: TestServer
  let drop = async () => {}
  let receiverBase = ''

  beforeAll(async () => {
    receiverBase = await receiver.start()
    const db = await freshDatabase()
    drop = db.drop
    const env = { ...db.env, PROOFDECK_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', PROOFDECK_JOBS_POLL_SECONDS: '1' }
    // started together on a new database, as an upgrade starts them: they migrate in turn (one used to die on
    // the other's migration)
    ;[a, b] = await Promise.all([startServer(env), startServer(env)])
  })
  afterAll(async () => {
    await b?.stop()
    await a?.stop()
    await drop()
    await receiver.stop()
  })

  it('started at once, share sessions, runs, the job queue (each diagnosis and delivery once), key revocation, sign-in limits, a new month partition', async () => {
    // a session made on one instance is valid on the other
    const cookie = await login(a)
    expect((await fetch(`${b.url}/api/me`, { headers: { cookie } })).status).toBe(200)
    const key = (await createKey(b, cookie, { scopes: ['ingest'] })).key
    const first = await upload(a, [{ name: 'r.json', content: report(0) }], { key, query: { project: 'web', branch: 'main', runKey: 'run-1' } })
    expect(first.status).toBe(201)
    const hook = await fetch(`${b.url}/api/projects/web/webhooks`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ url: `${receiverBase}/ok`, events: ['run.failed', 'cluster.new'] }),
    })
    expect(hook.status).toBe(201)

    // the same run sent to both at once (a CI retry that reached the other instance) is one run
    const both = await Promise.all([a, b].map(s => upload(s, [{ name: 'r.json', content: report(1) }], { key, query: { project: 'web', branch: 'main', runKey: 'run-2' } })))
    expect(both.map(r => r.status).sort()).toEqual([200, 201])
    expect(both[0]!.body.runId).toBe(both[1]!.body.runId)
    for (const [i, s] of [[2, b], [3, a]] as const) {
      const r = await upload(s, [{ name: 'r.json', content: report(i) }], { key, query: { project: 'web', branch: 'main', runKey: `run-${i + 1}` } })
      expect(r.status).toBe(201)
    }
    expect(await queryDb(a.env, 'select count(*)::int as n from runs')).toEqual([{ n: 4 }])
    // both set their job queue up, one after the other: at once, one of them deadlocked on pg-boss's tables and ran
    // without a queue (6 of 14 tries), its clusters never diagnosed
    for (const s of [a, b]) expect(s.logs()).not.toMatch(/job queue did not start|deadlock/)

    // every cluster diagnosed once, by one job that ran on one of the two
    await vi.waitFor(async () => {
      expect(await queryDb(a.env, 'select count(distinct cluster_id)::int as n from diagnoses')).toEqual([{ n: CAUSES.length }])
    }, { timeout: 60_000, interval: 250 })
    const versions = await queryDb(a.env, 'select cluster_id, count(*)::int as n from diagnoses group by cluster_id')
    expect(versions.map(v => v.n)).toEqual(CAUSES.map(() => 1))
    const jobs = await queryDb(a.env, `select state, count(*)::int as n from pgboss.job where name = 'diagnosis' group by state`)
    expect(jobs).toEqual([{ state: 'completed', n: CAUSES.length }])

    // every webhook event delivered once: runs 2–4 each failed with a new cluster (the hook came after run 1)
    await vi.waitFor(async () => {
      expect(await queryDb(a.env, `select status, count(*)::int as n from webhook_deliveries group by status`)).toEqual([{ status: 'delivered', n: 6 }])
    }, { timeout: 60_000, interval: 250 })
    const got = receiver.received.filter(r => r.path === '/ok')
    expect(got).toHaveLength(6)
    expect(new Set(got.map(r => r.delivery)).size).toBe(6)
    expect(got.map(r => r.event).sort()).toEqual(['cluster.new', 'cluster.new', 'cluster.new', 'run.failed', 'run.failed', 'run.failed'])

    // each instance keeps the keys it checked and drops them when Postgres notifies a change (migration 0017): a read
    // key revoked on one instance is refused by the other as soon as the notification arrives (measured: one call)
    const reader = await createKey(a, cookie, { scopes: ['read'] })
    const listProjects = (s: TestServer, key = reader.key) => fetch(`${s.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept': 'application/json, text/event-stream', 'authorization': `Bearer ${key}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_projects', arguments: {} } }),
    })
    expect((await listProjects(a)).status).toBe(200)
    expect((await listProjects(a)).status).toBe(200)
    expect((await fetch(`${b.url}/api/keys/${reader.id}`, { method: 'DELETE', headers: { cookie } })).status).toBe(200)
    const revokedAt = Date.now()
    await vi.waitFor(async () => {
      const refused = await listProjects(a)
      expect(refused.status).toBe(401)
      expect((await refused.json() as { error: { message: string } }).error.message).toMatch(/revoked/)
    }, { timeout: 2_000, interval: 20 })
    console.info(`[instances] a key revoked on B was refused on A after ${Date.now() - revokedAt} ms`)

    // a key changed without a notification (triggers off for this one statement) is still served from memory while
    // the listener is up: what follows is meaningful. Once the listener's connection is lost, the key is read again.
    const quiet = await createKey(a, cookie, { scopes: ['read'] })
    expect((await listProjects(b, quiet.key)).status).toBe(200)
    expect((await listProjects(b, quiet.key)).status).toBe(200)
    await queryDb(a.env, 'alter table api_keys disable trigger api_keys_key_change')
    await queryDb(a.env, `update api_keys set revoked_at = now() where id = '${quiet.id}'`)
    await queryDb(a.env, 'alter table api_keys enable trigger api_keys_key_change')
    expect((await listProjects(b, quiet.key)).status).toBe(200)
    const listeners = await queryDb(a.env, `select pg_terminate_backend(pid) as ended from pg_stat_activity
      where application_name = 'proofdeck-key-listener' and datname = current_database()`)
    expect(listeners).toEqual([{ ended: true }, { ended: true }])
    const lostAt = Date.now()
    await vi.waitFor(async () => expect((await listProjects(b, quiet.key)).status).toBe(401), { timeout: 2_000, interval: 20 })
    console.info(`[instances] after the listener was lost, the key was read again within ${Date.now() - lostAt} ms`)
    // and the listener is made again: a change is heard once more
    await vi.waitFor(async () => {
      expect(await queryDb(a.env, `select count(*)::int as n from pg_stat_activity
        where application_name = 'proofdeck-key-listener' and datname = current_database()`)).toEqual([{ n: 2 }])
    }, { timeout: 10_000, interval: 100 })

    // sign-in limits count on both: wrong passwords sent alternately are slowed after five, not after five on each
    const wrong = { email: TEST_ADMIN.email, password: 'not the password' }
    const answers: number[] = []
    for (let i = 0; i < 10 && !answers.includes(429); i++) {
      const res = await fetch(`${(i % 2 ? b : a).url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(wrong) })
      answers.push(res.status)
    }
    // the sixth failure (the third on each) makes the next try wait; per instance it would take twelve
    expect(answers.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401])
    expect(answers.at(-1)).toBe(429)
    expect(answers.length).toBeLessThanOrEqual(9)
    const counted = await queryDb(a.env, 'select count::int as n from throttles order by count desc limit 1')
    expect(counted[0]!.n).toBeGreaterThanOrEqual(6)

    // two backfills of a month that has no results partition yet, one to each instance at once: both make the month,
    // one of them wins, both are stored whole
    const passing = JSON.stringify({
      format: 'proofdeck', version: 1, results: [{ title: 'login works', status: 'passed' }, { title: 'logout works', status: 'passed' }],
    })
    const past = new Date(Date.now() - 900 * 86_400_000)
    const month = `test_results_y${past.toISOString().slice(0, 7).replace('-', 'm')}`
    const backfills = await Promise.all([a, b].map((s, i) => upload(s, [{ name: 'r.json', content: passing }], {
      key, query: { project: 'web', branch: 'main', runKey: `backfill-${i}`, startedAt: past.toISOString() },
    })))
    expect(backfills.map(r => r.status)).toEqual([201, 201])
    const [partitions] = await queryDb(a.env, `select count(*)::int as months,
      (select count(*)::int from test_results r join runs ru on ru.id = r.run_id where ru.run_key like 'backfill-%') as results
      from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'test_results'::regclass and c.relname = '${month}'`)
    expect(partitions).toEqual({ months: 1, results: 4 })
  })
})
