import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { canRunThrowawayPg, startThrowawayPg, type ThrowawayPg } from '../../scripts/lib/throwaway-pg'
import { runServerToExit, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'
import { fakeReceiver } from './receiver'

const junit = (name: string) => ({ name: 'r.xml', content: `<testsuite><testcase name="${name}"/><testcase name="b"><failure message="boom"/></testcase></testsuite>` })
/** A cursor in the shape the server gives out (key, id, list), with a key of the wrong kind for its list. */
const cursorOf = (key: unknown) => Buffer.from(JSON.stringify([key, '00000000-0000-4000-8000-000000000000', 'list'])).toString('base64url')
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Every file and directory under dir with its permission bits. */
function modes(dir: string): { path: string, mode: number, dir: boolean }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => {
    const s = statSync(join(dir, p))
    return { path: p, mode: s.mode & 0o777, dir: s.isDirectory() }
  })
}

describe('one process per PGlite data directory', () => {
  let server: TestServer
  let dir: string
  beforeAll(async () => {
    dir = join(mkdtempSync(join(inject('tmpDir'), 'lock-')), 'data')
    server = await startServer({ PROOFDECK_DATA_DIR: dir })
  })
  afterAll(() => server?.stop())

  it('a second server on the same data directory refuses to start, naming the first process', async () => {
    const { code, output } = await runServerToExit({ ...server.env, PORT: '0' })
    expect(code).toBe(1)
    expect(output).toMatch(/cannot start: .*in use by another Proofdeck process \(pid \d+\)/)
    // the first server still serves
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200)
  })

  it('the data directory and its files are private (0700 / 0600)', () => {
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const open = modes(dir).filter(m => (m.mode & 0o077) !== 0)
    expect(open.slice(0, 5)).toEqual([])
  })

  it('a lock left by a dead process is taken over, and a copied data dir with open modes is made private', async () => {
    const copy = mkdtempSync(join(inject('tmpDir'), 'stale-'))
    cpSync(inject('pgliteTemplate') || dir, copy, { recursive: true })
    const dead = spawnSync(process.execPath, ['-e', '']).pid!
    writeFileSync(join(copy, 'proofdeck.pid'), `${dead}\n`, { mode: 0o666 })
    const second = await startServer({ PROOFDECK_DATA_DIR: copy })
    try {
      expect((await fetch(`${second.url}/api/health`)).status).toBe(200)
      expect(modes(copy).filter(m => (m.mode & 0o077) !== 0).slice(0, 5)).toEqual([])
    }
    finally {
      await second.stop()
    }
  })
})

describe('bad input is never a 500, and never logs SQL', () => {
  let server: TestServer
  let cookie: string
  let ingestKey: string
  let readKey: string
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { cookie } })
    return { status: res.status, body: await res.json() as any }
  }
  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    ingestKey = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    readKey = (await createKey(server, cookie, { scopes: ['read'] })).key
    expect((await upload(server, [junit('a')], { key: ingestKey, query: { project: 'web', branch: 'main' } })).status).toBe(201)
  })
  afterAll(() => server?.stop())

  it.each([
    ['runs', 'not-a-date'], ['runs', '2026-13-45T00:00:00Z'], ['failed-results', 'x'], ['clusters', '+020000-01-01T00:00:00.000Z'],
    ['runs', 12], ['flaky-tests', 'abc'], ['flaky-tests', 1e308],
  ])('a %s cursor whose key is %j is a 400 bad_cursor', async (list, key) => {
    const r = await get(`/api/projects/web/${list}?cursor=${cursorOf(key)}`)
    expect(r.status).toBe(400)
    expect(r.body.data.code).toBe('bad_cursor')
    expect(r.body.message).toMatch(/nextCursor/)
  })

  it('a cursor whose id is not a UUID (36 dashes) is a 400 bad_cursor, not a database error', async () => {
    const cursor = Buffer.from(JSON.stringify(['2026-12-05T10:30:23.114Z', '-'.repeat(36), 'list'])).toString('base64url')
    const r = await get(`/api/projects/web/runs?cursor=${cursor}`)
    expect(r.status).toBe(400)
    expect(r.body.data.code).toBe('bad_cursor')
  })

  it('an MCP cursor whose key is not a date gets the bad_cursor sentence, not a server failure', async () => {
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept': 'application/json, text/event-stream', 'authorization': `Bearer ${readKey}`, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_runs', arguments: { projectSlug: 'web', cursor: cursorOf('not-a-date') } } }),
    })
    const text = JSON.stringify(await res.json())
    expect(text).toMatch(/nextCursor from the previous page/)
    expect(text).not.toMatch(/failed on the server/)
  })

  it.each([
    '/api/projects/web/runs?branch=%00', '/api/projects/web/runs?branch=ma%00in', '/api/projects/web/failed-results?branch=%00',
    '/api/projects/web/flaky-tests?branch=%00', '/api/projects/web/runs?cursor=%00',
  ])('NUL in a query string is a 400 with a sentence: %s', async (path) => {
    const r = await get(path)
    expect(r.status).toBe(400)
    expect(r.body.message).toMatch(/NUL|character/i)
  })

  it('a report with a date the database cannot store (past year 9999) is stored without it, noted, and the log stays small and SQL-free', async () => {
    const before = server.logs().length
    // ~2 MB of tests, so a log that echoes the parameters would be megabytes
    const tests = Array.from({ length: 8000 }, (_, i) => ({ name: `t${i} ${'x'.repeat(200)}`, status: 'passed', duration: 1 }))
    const report = { results: { tool: { name: 'x' }, summary: { tests: tests.length, passed: tests.length, failed: 0, pending: 0, skipped: 0, other: 0, start: 253402387200000, stop: 253402387200001 }, tests } }
    const r = await upload(server, [{ name: 'ctrf.json', content: JSON.stringify(report) }], { key: ingestKey, query: { project: 'web', runKey: 'far-future' } })
    // the date is dropped before it reaches the database (a 500 with the SQL in the log before), and the receipt says so
    expect(r.status).toBe(201)
    expect(JSON.stringify(r.body.rejected)).toMatch(/date|year/i)
    await sleep(200)
    const logged = server.logs().slice(before)
    expect(logged.length).toBeLessThan(4000)
    expect(logged).not.toMatch(/insert into|params:|xxxxxxxxxx/i)
  })
})

/** A run of requests in a loop until stopped, recording each status and the slowest latency. */
function hammer(fn: () => Promise<number>) {
  const statuses: number[] = []
  let slowest = 0
  let running = true
  const done = (async () => {
    while (running) {
      const t = Date.now()
      // a request that hangs counts as 0 after 15 s, so a stuck server fails the test instead of timing it out
      statuses.push(await Promise.race([fn().catch(() => 0), sleep(15_000).then(() => 0)]))
      slowest = Math.max(slowest, Date.now() - t)
      await sleep(20)
    }
  })()
  return { statuses, slowest: () => slowest, stop: async () => { running = false; await done } }
}

describe.skipIf(!canRunThrowawayPg())('a Postgres restart under load', () => {
  let pg: ThrowawayPg
  let server: TestServer
  let key: string
  let cookie: string
  beforeAll(async () => {
    pg = startThrowawayPg(56_000 + Math.floor(Math.random() * 900))
    // 20 clients share one key here: admission control (429) is tested in limits.test.ts, this test is about restarts
    server = await startServer({
      DATABASE_URL: pg.url, PROOFDECK_INGEST_CONCURRENCY: '32',
      // a webhook delivery is the job that runs across an outage below; its retry comes due a second after a failure
      PROOFDECK_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', PROOFDECK_WEBHOOK_RETRY_SECONDS: '1', PROOFDECK_JOBS_POLL_SECONDS: '1',
    })
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest', 'read'] })).key
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    pg?.destroy()
  })
  if (!canRunThrowawayPg()) it.skip('needs /usr/lib/postgresql/15/bin and root (to run it as postgres)', () => {})

  const untilHealthy = async (since: number) => {
    while (Date.now() - since < 30_000) {
      const r = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(5000) }).catch(() => null)
      if (r?.status === 200 && (await upload(server, [junit(`after-${since}`)], { key, query: { project: 'web' } })).status === 201) return Date.now() - since
      await sleep(100)
    }
    return Infinity
  }

  it('during an outage health is degraded and requests get 503 + Retry-After with a sentence, quickly', async () => {
    await pg.stop('immediate')
    try {
      const t = Date.now()
      const health = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(12_000) })
      expect(health.status).toBe(503)
      expect(await health.json()).toMatchObject({ status: 'degraded' })
      const read = await fetch(`${server.url}/api/projects`, { headers: { cookie }, signal: AbortSignal.timeout(12_000) })
      expect(read.status).toBe(503)
      expect(Number(read.headers.get('retry-after'))).toBeGreaterThan(0)
      expect((await read.json()).message).toMatch(/database/i)
      const up = await upload(server, [junit('during')], { key, query: { project: 'web' } })
      expect(up.status).toBe(503)
      expect(Date.now() - t).toBeLessThan(10_000)
    }
    finally {
      await pg.start()
    }
    expect(await untilHealthy(Date.now())).toBeLessThan(5000)
  })

  it('a job that fails while Postgres is down is retried once it is back, not after its expiry', async () => {
    const receiver = fakeReceiver()
    const base = await receiver.start()
    try {
      expect((await upload(server, [junit('hooks-1')], { key, query: { project: 'hooks', branch: 'main' } })).status).toBe(201)
      const hook = await fetch(`${server.url}/api/projects/hooks/webhooks`, {
        method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ url: `${base}/hold`, events: ['run.failed'] }),
      })
      expect(hook.status).toBe(201)
      expect((await upload(server, [junit('hooks-2')], { key, query: { project: 'hooks', branch: 'main' } })).status).toBe(201)
      // the delivery's first try is at the receiver, which holds it; Postgres goes down, then the receiver drops it:
      // the try fails while the queue cannot record that
      await vi.waitFor(() => expect(receiver.received.filter(r => r.path === '/hold')).toHaveLength(1), { timeout: 30_000, interval: 50 })
      await pg.stop('immediate')
      receiver.release()
      await sleep(2000)
      await pg.start()
      const back = Date.now()
      // its expiry is the webhook timeout + 5 s (15 s) after it started, and the queue's upkeep notices it up to 30 s later
      await vi.waitFor(() => expect(receiver.received.filter(r => r.path === '/hold' && r.answered === 200)).toHaveLength(1), { timeout: 60_000, interval: 100 })
      const waited = Date.now() - back
      console.log(`a failed job retried ${waited} ms after Postgres was back`)
      expect(waited).toBeLessThan(8000)
    }
    finally {
      await receiver.stop()
    }
  })

  it.each(['fast', 'immediate'] as const)('after pg_ctl restart -m %s under load the server serves again within 5 s', async (mode) => {
    const loops = Array.from({ length: 8 }, (_, i) => hammer(async () => i % 2
      ? (await upload(server, [junit(`load-${i}-${Date.now()}`)], { key, query: { project: 'web', runKey: `k${i}-${Date.now()}` } })).status
      : (await fetch(`${server.url}/api/projects/web/runs`, { headers: { cookie } })).status))
    await sleep(500)
    await pg.restart(mode)
    const recovery = await untilHealthy(Date.now())
    await sleep(500)
    await Promise.all(loops.map(l => l.stop()))
    const statuses = new Set(loops.flatMap(l => l.statuses))
    expect(recovery).toBeLessThan(5000)
    expect(Math.max(...loops.map(l => l.slowest()))).toBeLessThan(10_000)
    expect([...statuses].filter(s => ![200, 201, 503].includes(s))).toEqual([])
  })
})
