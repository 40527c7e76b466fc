import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'
import { fakeReceiver } from './receiver'

/** A Proofdeck JSON report: the named tests fail, `retried` fails then passes on retry (flaky), the rest pass. */
function report(failing: string[], retried: string[] = []) {
  return JSON.stringify({
    format: 'proofdeck', version: 1,
    results: [
      ...failing.map(title => ({ title, status: 'failed', errorMessage: `${title}: expected 1 to be 2` })),
      ...retried.map(title => ({ title, status: 'passed', flaky: true, attempts: [{ status: 'failed', errorMessage: 'socket hang up' }, { status: 'passed' }] })),
      { title: 'login works', status: 'passed' },
    ],
  })
}

const ENV = {
  PROOFDECK_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  PROOFDECK_WEBHOOK_RETRY_SECONDS: '1',
  PROOFDECK_WEBHOOK_TIMEOUT_SECONDS: '3',
  PROOFDECK_JOBS_MAINTENANCE_SECONDS: '1',
  // retries come due a second after a failure: an idle worker looks every second
  PROOFDECK_JOBS_POLL_SECONDS: '1',
  PROOFDECK_CATCH_UP_SECONDS: '5',
}

describe('webhooks', () => {
  const receiver = fakeReceiver()
  let base = ''
  let server: TestServer
  let first: TestServer | undefined
  let admin = ''
  let ingestKey = ''
  let runs = 0

  const call = (method: string, path: string, body?: unknown, cookie = admin) => fetch(`${server.url}${path}`, {
    method, headers: { 'content-type': 'application/json', cookie }, body: body === undefined ? undefined : JSON.stringify(body),
  })
  const answer = async (res: Promise<Response>, status: number) => {
    const r = await res
    const text = await r.text()
    expect(r.status, text).toBe(status)
    return text ? JSON.parse(text) : null
  }
  const uploadRun = async (failing: string[], retried: string[] = []) => {
    const r = await upload(server, [{ name: 'r.json', content: report(failing, retried) }],
      { key: ingestKey, query: { project: 'web', branch: 'main', runKey: `run-${++runs}` } })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    return r.body
  }
  const list = () => answer(call('GET', '/api/projects/web/webhooks'), 200)
  /** Waits until every delivery of every webhook is settled (delivered or failed) and returns the list. */
  const settled = () => vi.waitFor(async () => {
    const hooks = await list()
    for (const h of hooks) for (const d of h.recentDeliveries) expect(d.status, JSON.stringify(d)).not.toBe('pending')
    return hooks
  }, { timeout: 60_000, interval: 200 })
  const delivered = (path: string) => receiver.received.filter(r => r.path === path && r.answered === 200)

  beforeAll(async () => {
    base = await receiver.start()
    server = await startServer(ENV)
    admin = await login(server)
    ingestKey = (await createKey(server, admin, { scopes: ['ingest'] })).key
    await uploadRun([]) // the project exists, and the branch's first run passed
  })
  afterAll(async () => {
    await server?.stop()
    await first?.stop()
    await receiver.stop()
  })

  let secret = ''
  let hookId = ''

  it('creates webhooks (the secret shown once), refuses private receivers and bad input with a sentence, keeps other projects out', async () => {
    const created = await answer(call('POST', '/api/projects/web/webhooks', { url: `${base}/ok`, events: ['run.failed', 'run.recovered', 'cluster.new', 'cluster.regressed', 'test.broken', 'test.flaky'] }), 201)
    expect(created).toMatchObject({ url: `${base}/ok`, format: 'json', createdBy: expect.any(String) })
    expect(created.secret).toMatch(/^whsec_[\w-]{32}$/)
    secret = created.secret
    hookId = created.id
    await answer(call('POST', '/api/projects/web/webhooks', { url: `${base}/slack/T000/B000/token`, events: ['run.failed'], format: 'slack' }), 201)
    await answer(call('POST', '/api/projects/web/webhooks', { url: `${base}/flaky`, events: ['run.recovered'] }), 201)

    const hooks = await list()
    expect(hooks.map((h: { url: string }) => h.url)).toEqual([`${base}/ok`, `${base}/slack/…`, `${base}/flaky`])
    expect(JSON.stringify(hooks)).not.toContain(secret)
    expect(JSON.stringify(hooks)).not.toContain('token')

    const refused = await answer(call('POST', '/api/projects/web/webhooks', { url: 'http://10.0.0.1/hook', events: ['run.failed'] }), 422)
    expect(refused.message).toBe('The receiver 10.0.0.1 resolves to 10.0.0.1, a private, loopback or link-local address; list it in PROOFDECK_WEBHOOK_ALLOWED_HOSTS to allow it.')
    const mapped = await answer(call('POST', '/api/projects/web/webhooks', { url: 'http://[::ffff:169.254.169.254]/', events: ['run.failed'] }), 422)
    expect(mapped.message).toContain('private, loopback or link-local')
    const badEvent = await answer(call('POST', '/api/projects/web/webhooks', { url: `${base}/ok`, events: ['run.exploded'] }), 400)
    expect(badEvent.message).toBe('events.0: Events are some of: run.failed, run.recovered, cluster.new, cluster.regressed, test.broken, test.flaky.')
    const badUrl = await answer(call('POST', '/api/projects/web/webhooks', { url: 'ftp://example.com', events: ['run.failed'] }), 400)
    expect(badUrl.message).toBe('url: The receiver URL is an http(s) URL, e.g. https://example.com/hooks/proofdeck.')
    await answer(call('POST', '/api/projects/web/webhooks', { url: `${base}/ok`, events: [] }), 400)

    // a viewer of the project may not add one; a member of another project sees none of them
    await upload(server, [{ name: 'r.json', content: report([]) }], { key: ingestKey, query: { project: 'other' } })
    for (const [name, role, project] of [['vic', 'viewer', 'web'], ['olu', 'member', 'other']] as const) {
      await answer(call('POST', '/api/users', { email: `${name}@example.test`, name, role, password: 'a long enough password', projectSlugs: [project] }), 201)
    }
    const viewer = await login(server, { email: 'vic@example.test', password: 'a long enough password' })
    const outsider = await login(server, { email: 'olu@example.test', password: 'a long enough password' })
    const forbidden = await answer(call('POST', '/api/projects/web/webhooks', { url: `${base}/ok`, events: ['run.failed'] }, viewer), 403)
    expect(forbidden.message).toBe('Only members and admins signed in to the dashboard can add or delete webhooks.')
    expect(await answer(call('GET', '/api/projects/web/webhooks', undefined, viewer), 200)).toHaveLength(3)
    await answer(call('GET', '/api/projects/web/webhooks', undefined, outsider), 404)
    await answer(call('DELETE', `/api/projects/web/webhooks/${hookId}`, undefined, outsider), 404)
    await answer(call('DELETE', `/api/projects/other/webhooks/${hookId}`), 404)
    const badId = await answer(call('DELETE', '/api/projects/web/webhooks/nope'), 400)
    expect(badId.message).toBe('webhookId: A webhook id is a UUID.')
  })

  it('delivers each event once, signed; a Slack hook gets a message; a receiver that fails first is retried', async () => {
    const run1 = await uploadRun(['checkout pays'], ['search is fast'])
    expect(run1.newClusters.length).toBeGreaterThan(0)
    expect(run1.newlyFlaky.map((t: { title: string }) => t.title)).toEqual(['search is fast'])
    await uploadRun(['checkout pays'])
    await uploadRun(['checkout pays']) // the third failure in a row: broken
    let hooks = await settled()
    for (const c of run1.newClusters) await answer(call('PATCH', `/api/clusters/${c.id}`, { status: 'resolved' }), 200)
    await uploadRun(['checkout pays']) // checkout's resolved cluster fails again
    const recovered = await uploadRun([])
    hooks = await settled()

    const events = delivered('/ok').map(r => r.event)
    const count = (e: string) => events.filter(x => x === e).length
    expect({
      'run.failed': count('run.failed'), 'run.recovered': count('run.recovered'), 'cluster.new': count('cluster.new'),
      'cluster.regressed': count('cluster.regressed'), 'test.broken': count('test.broken'), 'test.flaky': count('test.flaky'),
    }).toEqual({ 'run.failed': 4, 'run.recovered': 1, 'cluster.new': run1.newClusters.length, 'cluster.regressed': 1, 'test.broken': 1, 'test.flaky': 1 })
    // once each: one request per delivery id, every one signed with the secret over its exact body
    const ok = receiver.received.filter(r => r.path === '/ok')
    expect(new Set(ok.map(r => r.delivery)).size).toBe(ok.length)
    for (const r of ok) {
      expect(r.signature).toBe(`sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`)
      const body = JSON.parse(r.body)
      expect(body).toMatchObject({ event: r.event, deliveryId: r.delivery, project: { slug: 'web', url: expect.stringMatching(/\/projects\/web$/) } })
      expect(body.run.url).toBe(`${server.url}/runs/${body.run.id}`)
    }
    const byEvent = (e: string) => JSON.parse(ok.find(r => r.event === e)!.body)
    expect(byEvent('run.failed')).toMatchObject({ run: { branch: 'main', status: 'failed', counts: { failed: 1 } }, tests: [{ title: 'checkout pays' }] })
    expect(byEvent('run.recovered').run).toMatchObject({ id: recovered.runId, status: 'passed' })
    const regressed = byEvent('cluster.regressed').cluster
    expect(run1.newClusters.map((c: { id: string }) => c.id)).toContain(regressed.id)
    expect(regressed.url).toBe(`${server.url}/clusters/${regressed.id}`)
    expect(byEvent('test.broken').test).toMatchObject({ title: 'checkout pays', reason: expect.stringContaining('failed') })
    expect(byEvent('test.flaky').test).toMatchObject({ title: 'search is fast', url: expect.stringMatching(/\/tests\/[0-9a-f-]{36}$/) })

    const slack = receiver.received.filter(r => r.path.startsWith('/slack'))
    expect(slack).toHaveLength(4)
    expect(slack[0]!.signature).toBeUndefined()
    const message = JSON.parse(slack[0]!.body)
    expect(Object.keys(message).sort()).toEqual(['blocks', 'text'])
    expect(message.text).toBe('Run failed: web main')
    expect(message.blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn', text: expect.stringContaining(`|Run> in <${server.url}/projects/web|web>`) } })

    const flaky = receiver.received.filter(r => r.path === '/flaky')
    expect(flaky.map(r => r.answered)).toEqual([500, 200])
    expect(flaky[0]!.delivery).toBe(flaky[1]!.delivery)
    const retried = hooks.find((h: { url: string }) => h.url.endsWith('/flaky')).recentDeliveries
    expect(retried).toEqual([expect.objectContaining({ event: 'run.recovered', status: 'delivered', statusCode: 200, attempts: 2, error: null })])
    const main = hooks.find((h: { url: string }) => h.url.endsWith('/ok')).recentDeliveries
    expect(main).toHaveLength(ok.length)
    expect(main.every((d: { status: string, attempts: number }) => d.status === 'delivered' && d.attempts === 1)).toBe(true)

    // a retry of an upload the server already holds fires nothing again
    const again = await upload(server, [{ name: 'r.json', content: report([]) }], { key: ingestKey, query: { project: 'web', branch: 'main', runKey: `run-${runs}` } })
    expect(again.status).toBe(200)
  })

  it('compares a matrix leg with its own leg: run page, compare and run.recovered follow the environment, not the latest run', async () => {
    const leg = async (environment: string, failing: string[], branch = 'main') => {
      const r = await upload(server, [{ name: 'r.json', content: report(failing) }],
        { key: ingestKey, query: { project: 'legs', branch, environment, runKey: `legs-${++runs}` } })
      expect(r.status, JSON.stringify(r.body)).toBe(201)
      return r.body.runId as string
    }
    const detail = async (id: string) => answer(call('GET', `/api/runs/${id}`), 200)
    const compared = async (id: string) => answer(call('GET', `/api/runs/${id}/compare`), 200)
    await leg('node-20', [])
    await answer(call('POST', '/api/projects/legs/webhooks', { url: `${base}/legs`, events: ['run.recovered'] }), 201)
    const node20 = await leg('node-20', [])
    await leg('node-18', ['checkout pays'])
    // node-20 passes again right after node-18 failed: compared with node-20, and not a recovery
    const node20Again = await leg('node-20', [])
    expect(await detail(node20Again)).toMatchObject({ previousRunId: node20, previousRunReason: 'previous' })
    expect((await compared(node20Again)).base.id).toBe(node20)
    const node18Fixed = await leg('node-18', [])
    // a feature branch's first run of an environment: main's latest of that environment
    const branchFirst = await leg('node-20', [], 'feature/cart')
    expect(await detail(branchFirst)).toMatchObject({ previousRunId: node20Again, previousRunReason: 'default_branch' })
    // an environment no run had: nothing to compare with, rather than another environment's run
    const fresh = await leg('node-22', [])
    expect(await detail(fresh)).toMatchObject({ previousRunId: null, previousRunReason: null })
    expect((await compared(fresh)).base).toBeNull()
    // a project's unit and e2e jobs each upload runs of their own: each job is compared with its own
    const job = async (name: string | null, failing: string[], runKey = `legs-${++runs}`, passing: string[] = []) => {
      const results = [...JSON.parse(report(failing)).results, ...[`${name} works`, ...passing].map(title => ({ title, status: 'passed' }))]
      const content = JSON.stringify({ ...JSON.parse(report(failing)), results })
      const r = await upload(server, [{ name: `${name}.json`, content }],
        { key: ingestKey, query: { project: 'legs', branch: 'main', environment: 'ci', runKey, ...name ? { job: name } : {} } })
      expect(r.status, JSON.stringify(r.body)).toBe(201)
      return r.body.runId as string
    }
    await job('unit', [])
    const e2e = await job('e2e', [])
    await job('unit', ['checkout pays'])
    const e2eAgain = await job('e2e', [])
    expect(await detail(e2eAgain)).toMatchObject({ job: 'e2e', previousRunId: e2e, previousRunReason: 'previous' })
    // and the runs list tells the jobs' runs apart
    const listed = await answer(call('GET', '/api/projects/legs/runs?limit=2'), 200)
    expect(listed.items.map((r: { job: string | null, environment: string | null }) => [r.job, r.environment])).toEqual([['e2e', 'ci'], ['unit', 'ci']])
    const unitFixed = await job('unit', [])
    // a run its jobs share has no job of its own, and is compared with runs of several jobs (or none)
    const shared = `legs-${++runs}`
    await job('unit', [], shared)
    expect(await detail(await job('e2e', [], shared))).toMatchObject({ job: null })
    // a sharded job's later shards still name the tests an earlier shard found newly flaky (its comment lost them)
    const shard = (n: number, content: string) => upload(server, [{ name: `shard-${n}.json`, content }],
      { key: ingestKey, query: { project: 'legs', branch: 'main', runKey: 'legs-sharded', job: 'e2e', shard: `${n}/2` } })
    const first = (await shard(1, report([], ['cart badge updates']))).body
    expect(first.newlyFlaky.map((t: { title: string }) => t.title)).toEqual(['cart badge updates'])
    expect((await shard(2, report([]).replace('login works', 'logout works'))).body.newlyFlaky).toEqual(first.newlyFlaky)
    // a run whose failed job is re-run under its key and passes recovered from itself (a review's board stayed red)
    const rerun = await job('api', ['api checkout'], 'legs-rerun')
    expect(await job('api', [], 'legs-rerun', ['api checkout'])).toBe(rerun)
    // its test's page counts the failure the re-run turned into a pass on retry as that, with no "failed for good" date
    const [retried] = (await answer(call('GET', `/api/runs/${rerun}?status=flaky`), 200)).results.items
    const testPage = async () => (await (await call('GET', `/tests/${retried.testCaseId}`)).text()).replace(/<!--.*?-->/g, '')
    const page = await testPage()
    expect(page).toContain('failed in 1 run (0 for good, 1 passed on retry)')
    expect(page).not.toContain('last failed for good')
    expect((await answer(call('GET', `/api/test-cases/${retried.testCaseId}`), 200)).lastFailureAt).toBeNull()
    // after a failure for good, a re-run that turns a later failure into a pass on retry leaves that failure's date
    // (a review read "last failed for good" on the day its re-run passed)
    const failedForGood = await job('api', ['api checkout'])
    const { startedAt } = await answer(call('GET', `/api/runs/${failedForGood}`), 200)
    const rerunAgain = await job('api', ['api checkout'], 'legs-rerun-again')
    await job('api', [], 'legs-rerun-again', ['api checkout'])
    expect((await answer(call('GET', `/api/runs/${rerunAgain}`), 200)).startedAt > startedAt).toBe(true)
    expect((await answer(call('GET', `/api/test-cases/${retried.testCaseId}`), 200)).lastFailureAt).toBe(startedAt)
    expect(await testPage()).toContain('failed in 3 runs (1 for good, 2 passed on retry)')
    await settled()
    const recovered = delivered('/legs').map(r => JSON.parse(r.body).run.id)
    expect(recovered).toEqual([node18Fixed, unitFixed, rerun, rerunAgain])
  })

  it('sends run.recovered for a run two sharded jobs share only once each job\'s last shard is in', async () => {
    const send = async (runKey: string, results: { title: string, status: string }[], job?: string, shard?: string) => {
      const r = await upload(server, [{ name: 'r.json', content: JSON.stringify({ format: 'proofdeck', version: 1, results }) }],
        { key: ingestKey, query: { project: 'jobs', branch: 'main', runKey, ...job ? { job, shard: shard! } : {} } })
      expect(r.status, JSON.stringify(r.body)).toBe(201)
      return r.body
    }
    await send('jobs-red', [{ title: 'cart', status: 'failed' }])
    await answer(call('POST', '/api/projects/jobs/webhooks', { url: `${base}/jobs`, events: ['run.recovered'] }), 201)
    const deliveries = async () => (await answer(call('GET', '/api/projects/jobs/webhooks'), 200))[0].recentDeliveries as { event: string }[]
    // e2e 1/3, api 2/3, e2e 3/3: three shards of six, the run passing so far
    for (const [job, shard] of [['e2e', '1/3'], ['api', '2/3'], ['e2e', '3/3'], ['api', '1/3'], ['e2e', '2/3']] as const) {
      await send('jobs-green', [{ title: `${job} ${shard}`, status: 'passed' }], job, shard)
      expect(await deliveries(), `after ${job} ${shard}`).toEqual([])
    }
    const last = await send('jobs-green', [{ title: 'api 3/3', status: 'passed' }], 'api', '3/3')
    expect(last.shards).toMatchObject({ expected: 6, received: 6, missing: [] })
    expect((await deliveries()).map(d => d.event)).toEqual(['run.recovered'])
    await vi.waitFor(() => expect(delivered('/jobs').map(r => JSON.parse(r.body).run.id)).toEqual([last.runId]), { timeout: 30_000, interval: 100 })
  })

  it('sends nothing once the member who added a webhook loses the project (removed or deactivated), and its settings say why', async () => {
    const creds = { email: 'mia@example.test', password: 'a long enough password' }
    const { user } = await answer(call('POST', '/api/users', { ...creds, name: 'mia', role: 'member', projectSlugs: ['web'] }), 201)
    const mia = await login(server, creds)
    const hook = await answer(call('POST', '/api/projects/web/webhooks', { url: `${base}/mia`, events: ['run.failed'] }, mia), 201)
    const pausedOf = async () => (await list()).find((h: { id: string }) => h.id === hook.id).paused
    await uploadRun(['checkout pays'])
    await vi.waitFor(() => expect(delivered('/mia')).toHaveLength(1), { timeout: 30_000, interval: 200 })
    expect(await pausedOf()).toBeNull()

    await answer(call('PATCH', `/api/users/${user.id}`, { projectSlugs: [] }), 200)
    expect(await pausedOf()).toMatch(/^Not sent: the person who added this webhook no longer has access to the project/)
    await uploadRun(['checkout pays'])
    await settled()
    // back in the project, it sends again; deactivated, it does not
    await answer(call('PATCH', `/api/users/${user.id}`, { projectSlugs: ['web'] }), 200)
    await uploadRun(['checkout pays'])
    await vi.waitFor(() => expect(delivered('/mia')).toHaveLength(2), { timeout: 30_000, interval: 200 })
    await answer(call('PATCH', `/api/users/${user.id}`, { active: false }), 200)
    await uploadRun(['checkout pays'])
    await settled()
    expect(delivered('/mia')).toHaveLength(2)
    expect(receiver.received.filter(r => r.path === '/mia')).toHaveLength(2)
    await answer(call('DELETE', `/api/projects/web/webhooks/${hook.id}`), 204)
  })

  it('delivers an event whose receiver was mid-request when the server was killed, after the restart, with the same delivery id', async () => {
    await answer(call('POST', '/api/projects/web/webhooks', { url: `${base}/hold`, events: ['run.failed'] }), 201)
    const before = receiver.received.length
    await uploadRun(['checkout pays'])
    await vi.waitFor(() => expect(receiver.received.filter(r => r.path === '/hold')).toHaveLength(1), { timeout: 30_000, interval: 50 })
    const held = receiver.received.find(r => r.path === '/hold')!
    // the other hooks' deliveries are recorded before the kill: one answered but not yet recorded would rightly
    // come again after the restart (at least once, with the same delivery id), which is not what this test checks
    await vi.waitFor(async () => {
      for (const h of await list()) {
        if (h.url.endsWith('/hold')) continue
        for (const d of h.recentDeliveries) expect(d.status, JSON.stringify(d)).not.toBe('pending')
      }
    }, { timeout: 30_000, interval: 100 })
    process.kill(server.pid, 'SIGKILL')
    await server.kill()
    first = server
    server = await startServer(server.env)
    admin = await login(server)

    await vi.waitFor(() => expect(delivered('/hold')).toHaveLength(1), { timeout: 60_000, interval: 200 })
    expect(delivered('/hold')[0]!.delivery).toBe(held.delivery)
    const hooks = await settled()
    const hold = hooks.find((h: { url: string }) => h.url.endsWith('/hold')).recentDeliveries
    expect(hold).toEqual([expect.objectContaining({ id: held.delivery, event: 'run.failed', status: 'delivered', statusCode: 200 })])
    // the other webhooks got this run's events once each, and nothing from before the restart came again
    const after = receiver.received.slice(before).filter(r => r.path !== '/hold')
    expect(new Set(after.map(r => r.delivery)).size).toBe(after.length)
    expect(after.map(r => r.event).sort()).toEqual(['run.failed', 'run.failed'])
    const ids = receiver.received.filter(r => r.answered === 200).map(r => r.delivery)
    expect(new Set(ids).size).toBe(ids.length)

    await answer(call('DELETE', `/api/projects/web/webhooks/${hookId}`), 204)
    expect((await list()).map((h: { id: string }) => h.id)).not.toContain(hookId)
  })

  // Postgres: the job table is taken away under the running server (PGlite is one process's, with the server in it)
  it.skipIf(!process.env.TEST_DATABASE_URL)('queues again what an upload could not put on the job queue, within the catch-up, without a restart', async () => {
    await settled()
    const answered = () => receiver.received.filter(r => r.answered === 200).length
    const before = answered()
    await queryDb(server.env, 'alter table pgboss.job rename to job_away')
    let run: { newClusters: { id: string }[] }
    try {
      run = await uploadRun([`caught up ${Date.now()}`])
      // the deliveries are queued after the commit, after the answer: the table stays away until they have failed to be
      await vi.waitFor(() => expect(server.logs()).toMatch(/could not queue \d+ webhook deliveries/), { timeout: 10_000, interval: 50 })
    }
    finally {
      await queryDb(server.env, 'alter table pgboss.job_away rename to job')
    }
    await settled()
    expect(answered()).toBeGreaterThan(before)
    expect(run.newClusters).toHaveLength(1)
    const diagnosis = async () => (await answer(call('GET', `/api/clusters/${run.newClusters[0]!.id}/diagnosis`), 200)).latest
    await vi.waitFor(async () => expect(await diagnosis()).toBeTruthy(), { timeout: 30_000, interval: 250 })
    expect(server.logs()).toMatch(/caught up: queued [1-9]\d* webhook deliveries and [1-9]\d* diagnoses left waiting/)
  })

  it('retention deletes the settled deliveries older than the project keeps runs, and keeps the newer ones', async () => {
    await settled()
    /** SQL on the server's database: PGlite is one process, so its server stops around the statement. */
    const sqlOn = async <T = Record<string, any>>(text: string): Promise<T[]> => {
      if (server.env.DATABASE_URL) return queryDb<T>(server.env, text)
      await server.stop()
      const rows = await queryDb<T>(server.env, text)
      server = await startServer(server.env)
      admin = await login(server)
      return rows
    }
    const count = async () => (await sqlOn<{ n: number }>('select count(*)::int as n from webhook_deliveries'))[0]!.n
    const total = await count()
    const aged = await sqlOn(`update webhook_deliveries set created_at = now() - interval '40 days' where event = 'run.failed' returning id`)
    expect(aged.length).toBeGreaterThan(0)
    expect(aged.length).toBeLessThan(total)
    await answer(call('PATCH', '/api/projects/web', { retentionDays: 30 }), 200)
    const outcome = await answer(call('POST', '/api/settings/retention', {}), 200)
    expect(outcome).toMatchObject({ runsDeleted: 0, webhookDeliveriesDeleted: aged.length })
    expect(outcome.projects).toEqual([{ slug: 'web', retentionDays: 30, runsDeleted: 0, webhookDeliveriesDeleted: aged.length, resultPropertiesDeleted: 0 }])
    expect(await count()).toBe(total - aged.length)
    expect(await sqlOn(`select id from webhook_deliveries where event = 'run.failed'`)).toEqual([])
    expect((await answer(call('POST', '/api/settings/retention', {}), 200)).webhookDeliveriesDeleted).toBe(0)
  })
})
