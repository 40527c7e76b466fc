import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshDatabase, queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'
import { dayRollupsCheck } from './day-rollups'

/**
 * A CI matrix uploads the same suite from several jobs at once, into one project. Uploads of one project take turns
 * only for the rows they share (clusters' counts, test cases' counters and labels: services/run-results.ts);
 * each is stored whole, and every counter ends equal to what the stored results say (a day's durations, kept sorted,
 * and their p50/p95 too). A deadlock with another transaction is run again, not answered with a 500.
 */

const CAUSES = [
  'Error: connect ECONNREFUSED 127.0.0.1:5432',
  'TypeError: Cannot read properties of undefined (reading \'total\')',
  'AssertionError: expected the cart to be empty',
]

/** A deterministic shuffle: each job lists the shared tests in its own order, so their rows are met in different orders. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** A cause no earlier round had, which every job of the round brings at once: each job meets the new cluster. */
const NEW_CAUSE = ['alpha', 'beta', 'gamma'].map(name => `Error: the ${name} service answered 503 Service Unavailable`)

/**
 * Job `job` of round `round`: 200 shared tests (a few failing with shared causes, some flaky, one failing with the
 * round's new cause in every job) and 20 of its own; `extra` more tests of its own (more than a slice of 10,000
 * results: what an upload writes last is gathered across its slices), every 50th failing.
 */
function matrixReport(job: number, round: number, extra = 0): string {
  const shared = Array.from({ length: 200 }, (_, i) => {
    const failing = (i + job + round) % 25 === 0 || i === 199
    const flaky = !failing && (i + round) % 40 === 7
    return {
      title: `shared test ${i}`, suitePath: [`suite ${i % 7}`], durationMs: 10 + ((i * 13 + job) % 90),
      status: failing ? 'failed' : 'passed', ...failing ? { errorMessage: i === 199 ? NEW_CAUSE[round] : CAUSES[i % CAUSES.length] } : {},
      ...flaky ? { flaky: true, attempts: [{ status: 'failed', errorMessage: CAUSES[0] }, { status: 'passed' }] } : {},
    }
  })
  const own = Array.from({ length: 20 + extra }, (_, i) => ({
    title: `job ${job} round ${round} test ${i}`, durationMs: 5,
    ...i >= 20 && i % 50 === 0 ? { status: 'failed', errorMessage: CAUSES[i % CAUSES.length] } : { status: 'passed' },
  }))
  return JSON.stringify({ format: 'proofdeck', version: 1, results: shuffled([...shared, ...own], job * 31 + round + 1) })
}

/** Round 1's job 0 sends this many more tests; round 2's jobs 4 and 5 are two shards of one run (they share tests). */
const EXTRA = 10_000

describe('uploads of one project at once', () => {
  let server: TestServer
  let keys: string[]
  let cookie: string

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    // one key has at most PROOFDECK_INGEST_CONCURRENCY (4) uploads in flight
    keys = await Promise.all([0, 1].map(async () => (await createKey(server, cookie, { scopes: ['ingest'] })).key))
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('are each stored whole, and every counter equals what the stored results say', async () => {
    for (const round of [0, 1, 2]) {
      const extra = (job: number) => (round === 1 && job === 0 ? EXTRA : 0)
      const runKey = (job: number) => (round === 2 && job >= 4 ? 'r2-shards' : `r${round}-j${job}`)
      const answers = await Promise.all(Array.from({ length: 6 }, (_, job) => upload(server,
        [{ name: `job-${job}.json`, content: matrixReport(job, round, extra(job)) }],
        { key: keys[job % 2]!, query: { project: 'matrix', branch: job % 3 ? 'main' : `feature-${job}`, runKey: runKey(job) } })))
      expect(answers.map(a => `${a.status} ${a.body.message ?? ''}`.trim())).toEqual(Array.from({ length: 6 }, () => '201'))
      const tests = answers.map(a => a.body.counts.tests as number)
      for (const job of [0, 1, 2, 3]) expect(tests[job]).toBe(220 + extra(job))
      // the shard stored second answers for the whole run: the shared tests merged, both jobs' own tests
      expect(round === 2 ? [tests[4], tests[5]].sort() : [tests[4], tests[5]]).toEqual(round === 2 ? [220, 240] : [220, 220])
    }
    expect(server.logs()).not.toMatch(/running it again/)
    // the day rollups are rolled up after the uploads' commits; the explorer rolls up what is still due before it reads
    expect((await fetch(`${server.url}/api/projects/matrix/tests?limit=1`, { headers: { cookie } })).status).toBe(200)
    await server.kill()
    // each day's counts, its durations (kept sorted) and their p50/p95 equal the stored results
    expect(await dayRollupsCheck(server.env)).toMatchObject({ due: 0, days_differing: 0, percentiles_differing: 0 })
    const [check] = await queryDb(server.env, `select
      (select count(*)::int from runs) as runs,
      (select count(distinct number)::int from runs) as numbers,
      (select count(*)::int from test_cases) as tests,
      (select count(*)::int from test_cases tc where failed_runs <> (select count(*) from test_results r
        where r.test_case_id = tc.id and r.status in ('failed', 'errored'))) as failed_differing,
      (select count(*)::int from test_cases tc where flaky_runs <> (select count(*) from test_results r
        where r.test_case_id = tc.id and r.flaky)) as flaky_differing,
      (select count(*)::int from failure_clusters c where occurrences <> (select count(*) from test_results r where r.cluster_id = c.id)
        or affected_tests <> (select count(distinct test_case_id) from test_results r where r.cluster_id = c.id)) as clusters_differing,
      (select count(*)::int from test_cases where flaky_label = 'flaky') as flaky_tests`)
    expect(check).toMatchObject({
      runs: 17, numbers: 17, tests: 200 + 18 * 20 + EXTRA,
      failed_differing: 0, flaky_differing: 0, clusters_differing: 0,
    })
    // the flaky tests' labels were scored from every run (each job read the histories the ones before it committed)
    expect(check!.flaky_tests).toBeGreaterThan(0)
  })
})

describe.skipIf(!process.env.TEST_DATABASE_URL)('an upload in a deadlock', () => {
  let server: TestServer
  let drop = async () => {}

  beforeAll(async () => {
    const db = await freshDatabase()
    drop = db.drop
    // the upload's sessions look for a deadlock 5 s into a wait (Postgres checks once per wait, in the session that
    // waited longest): time enough on a slow machine to see it waiting and close the cycle, so it is the one aborted
    const { default: postgres } = await import('postgres')
    const admin = postgres(db.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
    await admin.unsafe(`alter database ${new URL(db.env.DATABASE_URL!).pathname.slice(1)} set deadlock_timeout = '5s'`)
    await admin.end()
    server = await startServer({ ...db.env, DATABASE_POOL_SIZE: '4' })
  })
  afterAll(async () => {
    await server?.kill()
    await drop()
  })

  it.each([
    ['our JSON', 'shop', { name: 'r.json', content: JSON.stringify({ format: 'proofdeck', version: 1, results: [
      { title: 'adds to cart', status: 'failed', errorMessage: CAUSES[1] },
      { title: 'logs in', status: 'passed' },
    ] }) }],
    // on Postgres one JUnit file is stored while it is parsed: a try again reads it whole
    ['JUnit XML', 'shop-junit', { name: 'TEST-r.xml', content: `<testsuites><testsuite name="shop" timestamp="2026-11-20T10:00:00Z">
      <testcase classname="shop" name="adds to cart"><failure message="${CAUSES[1]}"/></testcase><testcase classname="shop" name="logs in"/>
      </testsuite></testsuites>` }],
  ])('is run again once Postgres aborts it, and stored once (%s)', async (_, project, report) => {
    const cookie = await login(server)
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    const send = (runKey: string) => upload(server, [report], { key, query: { project, branch: 'main', runKey } })
    expect((await send('build-1')).status).toBe(201)

    const { default: postgres } = await import('postgres')
    const other = postgres(server.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
    const app = postgres(server.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
    try {
      const projectId = (await other`select id from projects where slug = ${project}`)[0]!.id as string
      const id = async (title: string) => (await other`select id from test_cases where title = ${title} and project_id = ${projectId}`)[0]!.id as string
      const [failing, passing] = [await id('adds to cart'), await id('logs in')]
      // another transaction holds the passing test's row, which the upload relabels after it counts the failing test
      await other.unsafe(`set deadlock_timeout = '60s'`)
      await other.unsafe('begin')
      await other`select id from test_cases where id = ${passing} for update`
      const logged = server.logs().length
      const second = send('build-2')
      // the upload has counted the failure (its row is locked) and waits for the passing test's row
      await expect.poll(async () => (await app`select count(*)::int as n from pg_stat_activity where datname = current_database()
        and wait_event_type = 'Lock' and query like '%update test_cases%flaky_label%'`)[0]!.n, { timeout: 20_000 }).toBe(1)
      // now the other transaction wants the failing test's row: a deadlock, which Postgres breaks by aborting the upload
      await other`update test_cases set failed_runs = failed_runs where id = ${failing}`
      await other.unsafe('commit')
      const res = await second
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      expect(res.body.counts).toMatchObject({ tests: 2, failed: 1, passed: 1 })
      expect(server.logs().slice(logged)).toMatch(/upload: PostgresError: 40P01 deadlock detected.*running it again \(try 2 of 3\)/)
      const [row] = await app`select (select count(*)::int from runs where project_id = ${projectId}) as runs,
        (select count(*)::int from test_results where project_id = ${projectId}) as results,
        (select failed_runs from test_cases where id = ${failing}) as failed_runs`
      expect(row).toEqual({ runs: 2, results: 4, failed_runs: 2 })
    }
    finally {
      await other.end()
      await app.end()
    }
  })

  it('counts an upload\'s failures in the cluster a merge folded theirs into while it waited for its turn', async () => {
    const cookie = await login(server)
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    const send = (runKey: string, results: object[]) => upload(server, [{ name: 'r.json', content: JSON.stringify({ format: 'proofdeck', version: 1, results }) }],
      { key, query: { project: 'merging', branch: 'main', runKey } })
    const first = await send('m-1', [
      { title: 'pays', status: 'failed', errorMessage: CAUSES[0] }, { title: 'ships', status: 'failed', errorMessage: CAUSES[2] },
    ])
    expect(first.status).toBe(201)
    expect(first.body.newClusters).toHaveLength(2)

    const { default: postgres } = await import('postgres')
    const other = postgres(server.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
    try {
      const clusterOf = async (title: string) => (await other`select r.cluster_id as id from test_results r
        join test_cases tc on tc.id = r.test_case_id where tc.title = ${title}`)[0]!
      const [source, target] = [await clusterOf('pays'), await clusterOf('ships')]
      // hold the project's turn: the upload finds its cluster and stores its results, then waits here
      const projectId = (await other`select id from projects where slug = 'merging'`)[0]!.id as string
      await other`select pg_advisory_lock(hashtextextended(${`project_writes ${projectId}`}, 0))`
      const second = send('m-2', [{ title: 'pays', status: 'failed', errorMessage: CAUSES[0] }])
      await expect.poll(async () => (await other`select count(*)::int as n from pg_stat_activity where datname = current_database()
        and wait_event = 'advisory'`)[0]!.n, { timeout: 20_000 }).toBe(1)
      // a person folds the upload's cluster into another meanwhile: the merge waits for the upload
      let merged = false
      const merge = fetch(`${server.url}/api/clusters/${target.id}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ mergeClusterId: source.id }),
      }).then((r) => {
        merged = true
        return r.status
      })
      await new Promise(resolve => setTimeout(resolve, 500))
      expect(merged).toBe(false)
      await other`select pg_advisory_unlock(hashtextextended(${`project_writes ${projectId}`}, 0))`
      expect((await second).status).toBe(201)
      expect(await merge).toBe(200)
      const [row] = await other`select
        (select count(*)::int from test_results where cluster_id = ${source.id}) as on_source,
        (select count(*)::int from test_results where cluster_id = ${target.id}) as on_target,
        (select occurrences from failure_clusters where id = ${target.id}) as target_occurrences,
        (select occurrences from failure_clusters where id = ${source.id}) as source_occurrences`
      expect(row).toEqual({ on_source: 0, on_target: 3, target_occurrences: 3, source_occurrences: 0 })
    }
    finally {
      await other.end()
    }
  })

  it('rescores a test that the upload before it put under watch while it waited for its turn', async () => {
    const cookie = await login(server)
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    // 12 tests; "checks out" passes five runs (stable, so off the watch list), fails in run 6 and passes in run 7
    const report = (checkout: 'passed' | 'failed') => JSON.stringify({ format: 'proofdeck', version: 1, results: [
      { title: 'checks out', status: checkout, ...checkout === 'failed' ? { errorMessage: CAUSES[2] } : {} },
      ...Array.from({ length: 11 }, (_, i) => ({ title: `browses ${i}`, status: 'passed' })),
    ] })
    const send = (project: string, n: number, checkout: 'passed' | 'failed') => upload(server, [{ name: 'r.json', content: report(checkout) }],
      { key, query: { project, branch: 'main', runKey: `w-${n}`, startedAt: new Date(Date.UTC(2026, 10, n)).toISOString() } })
    const labelOf = async (db: { unsafe: (q: string) => Promise<any[]> }, project: string) => (await db.unsafe(`select tc.flaky_label, tc.flaky_reason,
      tc.flaky_sample, tc.flaky_score, tc.flaky_flips, tc.flaky_window_failures from test_cases tc join projects p on p.id = tc.project_id
      where p.slug = '${project}' and tc.title = 'checks out'`))[0]
    for (const project of ['one-by-one', 'at-once']) {
      for (let n = 1; n <= 5; n++) expect((await send(project, n, 'passed')).status).toBe(201)
    }
    expect((await send('one-by-one', 6, 'failed')).status).toBe(201)
    expect((await send('one-by-one', 7, 'passed')).status).toBe(201)

    const { default: postgres } = await import('postgres')
    const other = postgres(server.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
    try {
      expect(await labelOf(other, 'at-once')).toMatchObject({ flaky_label: 'stable', flaky_reason: 'no failure in 5 runs on main' })
      const projectId = (await other`select id from projects where slug = 'at-once'`)[0]!.id as string
      const waiting = async () => (await other`select count(*)::int as n from pg_stat_activity where datname = current_database()
        and wait_event = 'advisory'`)[0]!.n
      // hold the project's turn; run 6 (the failure) reads the watch list and waits, then run 7 (the pass) reads it:
      // the test is stable in both reads, as run 6 has not committed
      await other`select pg_advisory_lock(hashtextextended(${`project_writes ${projectId}`}, 0))`
      const failing = send('at-once', 6, 'failed')
      await expect.poll(waiting, { timeout: 20_000 }).toBe(1)
      const passing = send('at-once', 7, 'passed')
      await expect.poll(waiting, { timeout: 20_000 }).toBe(2)
      await other`select pg_advisory_unlock(hashtextextended(${`project_writes ${projectId}`}, 0))`
      expect((await failing).status).toBe(201)
      expect((await passing).status).toBe(201)
      // run 7 had its turn after run 6 put the test under watch: its pass is scored, as if they had come one by one
      const sequential = await labelOf(other, 'one-by-one')
      expect(sequential.flaky_window_failures).toBe(1)
      expect(sequential.flaky_sample).toBe(7)
      expect(await labelOf(other, 'at-once')).toEqual(sequential)
      // every upload that stored results counted its turn, a new shard of a run too; a retry stores nothing and does not
      const turns = async () => (await other`select label_turns::int as n from project_rollups where project_id = ${projectId}`)[0]!.n
      expect(await turns()).toBe(7)
      const shard = JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title: 'pays', status: 'passed' }] })
      const sendShard = () => upload(server, [{ name: 'shard-2.json', content: shard }], { key, query: { project: 'at-once', branch: 'main', runKey: 'w-7' } })
      expect((await sendShard()).status).toBe(201)
      expect((await sendShard()).status).toBe(200)
      expect(await turns()).toBe(8)
    }
    finally {
      await other.end()
    }
  })
})
