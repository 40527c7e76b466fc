import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'
import { dayRollupsCheck, rolledUp } from './day-rollups'

/**
 * The test explorer's per-test day rollups are rolled up after an upload's commit (services/test-rollups.ts): the
 * upload marks its run due and a job adds it. What the explorer shows must not depend on when that job ran: right
 * after the receipt, after the job, after a crash between the commit and the job, or with the job never queued.
 */

/** `down`: its database refused the connection (an outage's failure). */
type Outcome = 'pass' | 'fail' | 'down' | 'skip'

const BODY: Record<Outcome, string> = {
  pass: '',
  fail: '<failure message="expected 1 to be 2">AssertionError: expected 1 to be 2</failure>',
  down: '<error message="connect ECONNREFUSED 127.0.0.1:5432">Error: connect ECONNREFUSED 127.0.0.1:5432</error>',
  skip: '<skipped/>',
}

function junit(tests: [string, Outcome, number][]): string {
  const cases = tests.map(([name, outcome, seconds]) => `<testcase classname="days.Suite" name="${name}" time="${seconds}">${BODY[outcome]}</testcase>`)
  return `<?xml version="1.0"?><testsuite name="days" tests="${tests.length}">${cases.join('')}</testsuite>`
}

const DAY = '2026-11-30'
/** What the explorer says of each test over the window, once every upload below is counted. */
const EXPECTED = {
  'checkout total': { runs: 2, failed: 0, p50Ms: 100, p95Ms: 300 },
  'search results': { runs: 2, failed: 1, p50Ms: 200, p95Ms: 250 },
  'login form': { runs: 1, failed: 0, p50Ms: 50, p95Ms: 50 },
  'late shard': { runs: 1, failed: 0, p50Ms: 400, p95Ms: 400 },
}

describe('per-test day rollups, after the commit', () => {
  let server: TestServer
  /** The server that made the database (its stop drops it); a restart's server runs on the same database. */
  let first: TestServer
  let cookie: string
  let key: string

  beforeAll(async () => {
    server = first = await startServer()
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
  })
  afterAll(async () => {
    if (server !== first) await server?.kill()
    await first?.stop()
  })

  const send = async (runKey: string, hour: number, tests: [string, Outcome, number][]) => {
    const res = await upload(server, [{ name: `${runKey}.xml`, content: junit(tests) }],
      { key, query: { project: 'days', branch: 'main', runKey, startedAt: `${DAY}T${String(hour).padStart(2, '0')}:00:00Z` } })
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201)
  }
  const explorer = async () => {
    const res = await fetch(`${server.url}/api/projects/days/tests?days=7&limit=100`, { headers: { cookie } })
    expect(res.status).toBe(200)
    const page = await res.json() as { items: { title: string, runs: number, failed: number, p50Ms: number, p95Ms: number }[] }
    return Object.fromEntries(page.items.map(t => [t.title, { runs: t.runs, failed: t.failed, p50Ms: t.p50Ms, p95Ms: t.p95Ms }]))
  }

  it('shows every upload the moment its receipt is back: runs of a day added, a shard of an added run counted again', async () => {
    await send('a', 9, [['checkout total', 'pass', 0.1], ['search results', 'fail', 0.2], ['login form', 'skip', 0]])
    await send('b', 10, [['checkout total', 'pass', 0.3], ['search results', 'pass', 0.25], ['login form', 'pass', 0.05]])
    // a second shard of run a, after its results may already have been added
    await send('a', 9, [['late shard', 'pass', 0.4]])
    expect(await explorer()).toEqual(EXPECTED)
  })

  it('counts every test of a run again when a shard makes it an outage or ends one, not only the tests the shard stored', async () => {
    const sendTo = async (runKey: string, hour: number, tests: [string, Outcome, number][]) => {
      const res = await upload(server, [{ name: `${runKey}-${tests[0]![0]}.xml`, content: junit(tests) }],
        { key, query: { project: 'days-infra', branch: 'main', runKey, startedAt: `${DAY}T${hour}:00:00Z` } })
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201)
    }
    const named = (from: number, to: number, outcome: Outcome): [string, Outcome, number][] =>
      Array.from({ length: to - from + 1 }, (_, i) => [`t${from + i}`, outcome, 0.1])
    const shown = async () => {
      const res = await fetch(`${server.url}/api/projects/days-infra/tests?days=7&limit=100`, { headers: { cookie } })
      const items = (await res.json() as { items: { title: string, runs: number, failed: number }[] }).items
      return Object.fromEntries(items.filter(t => t.runs > 0).map(t => [t.title, `${t.runs} runs, ${t.failed} failed`]))
    }
    await sendTo('d', 14, named(1, 4, 'pass'))
    await sendTo('c', 13, named(1, 4, 'pass'))
    // c's second shard: 6 failures of 10 tests, an infrastructure failure; none of c's results counts any more
    await sendTo('c', 13, named(5, 10, 'down'))
    expect(await shown()).toEqual(Object.fromEntries(named(1, 4, 'pass').map(([t]) => [t, '1 runs, 0 failed'])))
    // a third shard of 10 passes: 6 of 20, no longer an outage; all of c counts again
    await sendTo('c', 13, named(11, 20, 'pass'))
    expect(await shown()).toEqual({
      ...Object.fromEntries(named(1, 4, 'pass').map(([t]) => [t, '2 runs, 0 failed'])),
      ...Object.fromEntries(named(5, 10, 'down').map(([t]) => [t, '1 runs, 1 failed'])),
      ...Object.fromEntries(named(11, 20, 'pass').map(([t]) => [t, '1 runs, 0 failed'])),
    })
  })

  it('keeps a day whole under retention, so a late shard\'s recount of that day still counts all of its runs', async () => {
    const retention = 30
    const edge = new Date(Date.now() - retention * 86_400_000).toISOString().slice(0, 10)
    const dayBefore = new Date(Date.parse(edge) - 86_400_000).toISOString().slice(0, 10)
    const sendAt = async (runKey: string, startedAt: string, tests: [string, Outcome, number][]) => {
      const res = await upload(server, [{ name: `${runKey}.xml`, content: junit(tests) }],
        { key, query: { project: 'days-edge', branch: 'main', runKey, startedAt } })
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201)
    }
    // the edge day's first run started before "30 days ago" (unless that is exactly midnight), its last one after
    await sendAt('older', `${dayBefore}T12:00:00Z`, [['older test', 'pass', 0.1]])
    await sendAt('early', `${edge}T00:00:00Z`, [['checkout total', 'fail', 0.2]])
    await sendAt('late', `${edge}T23:59:00Z`, [['checkout total', 'pass', 0.4]])
    const send = (method: string, path: string, body: object) => fetch(`${server.url}${path}`,
      { method, headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) })
    expect((await send('PATCH', '/api/projects/days-edge', { retentionDays: retention })).status).toBe(200)
    const outcome = await (await send('POST', '/api/settings/retention', {})).json() as { projects: { slug: string, runsDeleted: number }[] }
    expect(outcome.projects.find(p => p.slug === 'days-edge')).toMatchObject({ runsDeleted: 1 })
    // a second shard of the edge day's last run: the day's rows of its tests are counted again from the stored results
    await sendAt('late', `${edge}T23:59:00Z`, [['late shard', 'pass', 0.3]])
    const res = await fetch(`${server.url}/api/projects/days-edge/tests?days=90&limit=100`, { headers: { cookie } })
    expect(res.status).toBe(200)
    const items = (await res.json() as { items: { title: string, runs: number, failed: number, p50Ms: number }[] }).items
    expect(Object.fromEntries(items.map(t => [t.title, { runs: t.runs, failed: t.failed, p50Ms: t.p50Ms }]))).toEqual({
      'checkout total': { runs: 2, failed: 1, p50Ms: 200 },
      'late shard': { runs: 1, failed: 0, p50Ms: 300 },
      // the deleted run's day stays in the rollups
      'older test': { runs: 1, failed: 0, p50Ms: 100 },
    })
  })

  it.skipIf(!process.env.TEST_DATABASE_URL)('are rolled up by the job without a reader, and equal the stored results', async () => {
    await send('c', 11, [['checkout total', 'skip', 0]])
    expect(await rolledUp(server.env, 'days')).toMatchObject({ due: 0, days_differing: 0, percentiles_differing: 0, rows: 4 })
  })

  it.skipIf(!process.env.TEST_DATABASE_URL)('loses nothing when no roll-up was queued: the explorer rolls up first, a restart queues the rest', async () => {
    const forget = `delete from test_day_rollups where project_id = (select id from projects where slug = 'days');
      insert into test_days_due (project_id, run_id, mode) select project_id, id, 'add' from runs
        where project_id = (select id from projects where slug = 'days')`
    // as if the server had died between the uploads' commits and their jobs: nothing queued, nothing rolled up
    await queryDb(server.env, forget)
    expect(await dayRollupsCheck(server.env, 'days')).toMatchObject({ rows: 0, due: 3 })
    expect(await explorer()).toEqual(EXPECTED)
    expect(await dayRollupsCheck(server.env, 'days')).toMatchObject({ rows: 4, due: 0, days_differing: 0 })

    await server.kill()
    await queryDb(server.env, forget)
    server = await startServer(server.env)
    expect(await rolledUp(server.env, 'days')).toMatchObject({ due: 0, days_differing: 0, percentiles_differing: 0, rows: 4 })
    cookie = await login(server)
    expect(await explorer()).toEqual(EXPECTED)
  })

  it.skipIf(!process.env.TEST_DATABASE_URL)('shows a run\'s first shard while its second is still being stored', async () => {
    const first = await upload(server, [{ name: 's1.xml', content: junit([['search results', 'fail', 0.3]]) }],
      { key, query: { project: 'days-shards', branch: 'main', runKey: 'sharded', startedAt: `${DAY}T12:00:00Z` } })
    expect(first.status).toBe(201)
    const { default: postgres } = await import('postgres')
    const other = postgres(server.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
    try {
      // hold the project's turn: the second shard locks its run, stores its results and waits here, uncommitted
      const [project] = await other`select id from projects where slug = 'days-shards'`
      await other`select pg_advisory_lock(hashtextextended(${`project_writes ${project!.id}`}, 0))`
      const second = upload(server, [{ name: 's2.xml', content: junit([['late shard', 'pass', 0.2]]) }],
        { key, query: { project: 'days-shards', branch: 'main', runKey: 'sharded', startedAt: `${DAY}T12:00:00Z` } })
      await expect.poll(async () => (await other`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event = 'advisory'`)[0]!.n, { timeout: 20_000 }).toBe(1)
      // as if the first shard's roll-up had not run yet: the explorer's own roll must not wait for, or skip, the run
      await other`delete from test_day_rollups where project_id = ${project!.id}`
      await other`insert into test_days_due (project_id, run_id, mode) select project_id, id, 'add' from runs where project_id = ${project!.id}`
      const shown = await fetch(`${server.url}/api/projects/days-shards/tests?days=7`, { headers: { cookie } })
      expect((await shown.json() as { items: { title: string, runs: number, failed: number }[] }).items)
        .toEqual([expect.objectContaining({ title: 'search results', runs: 1, failed: 1 })])
      await other`select pg_advisory_unlock(hashtextextended(${`project_writes ${project!.id}`}, 0))`
      expect((await second).status).toBe(201)
    }
    finally {
      await other.end()
    }
    expect(await rolledUp(server.env, 'days-shards')).toMatchObject({ due: 0, days_differing: 0, rows: 2 })
  })

  it.skipIf(!process.env.TEST_DATABASE_URL)('counts a run still due before retention deletes it: the day rollups outlive the runs', async () => {
    const at = new Date(Date.now() - 500 * 86_400_000).toISOString()
    const res = await upload(server, [{ name: 'old.xml', content: junit([['checkout total', 'fail', 0.7]]) }],
      { key, query: { project: 'days-old', runKey: 'old', startedAt: at } })
    expect(res.status).toBe(201)
    expect(await rolledUp(server.env, 'days-old')).toMatchObject({ due: 0, rows: 1 })
    // its roll-up lost (a crash after the commit), then the project's retention passes the run
    await queryDb(server.env, `delete from test_day_rollups where project_id = (select id from projects where slug = 'days-old');
      insert into test_days_due (project_id, run_id, mode) select project_id, id, 'add' from runs
        where project_id = (select id from projects where slug = 'days-old')`)
    const send = (method: string, path: string, body: object) => fetch(`${server.url}${path}`,
      { method, headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) })
    expect((await send('PATCH', '/api/projects/days-old', { retentionDays: 30 })).status).toBe(200)
    const outcome = await (await send('POST', '/api/settings/retention', {})).json() as { projects: { slug: string, runsDeleted: number }[] }
    expect(outcome.projects.find(p => p.slug === 'days-old')).toMatchObject({ runsDeleted: 1 })
    const [day] = await queryDb(server.env, `select d.day::text, d.runs, d.failed, d.durations from test_day_rollups d
      join projects p on p.id = d.project_id where p.slug = 'days-old'`)
    expect(day).toEqual({ day: at.slice(0, 10), runs: 1, failed: 1, durations: [700] })
  })
})
