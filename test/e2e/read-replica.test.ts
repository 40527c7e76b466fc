import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

const PG_BIN = '/usr/lib/postgresql/15/bin'
const report = (title: string) => JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title, status: 'passed' }] })

/** A PostgreSQL binary; as root (CI) it runs as the postgres user, since initdb and postgres refuse root. */
function pg(bin: string, args: string[]): void {
  const root = process.getuid?.() === 0
  execFileSync(root ? 'runuser' : `${PG_BIN}/${bin}`, root ? ['-u', 'postgres', '--', `${PG_BIN}/${bin}`, ...args] : args, { stdio: 'pipe' })
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

/**
 * A primary with wal_level=replica and a streaming hot standby made from it by pg_basebackup -R, each on its own port
 * in one temporary folder (a second or two to set up): the test owns both, so it can pause the standby's replay.
 */
async function streamingPair() {
  const dir = mkdtempSync(join(tmpdir(), 'pd-replica-'))
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0)
  const [primaryPort, standbyPort] = [await freePort(), await freePort()]
  const start = (data: string, port: number) => pg('pg_ctl', ['-D', join(dir, data), '-l', join(dir, `${data}.log`), '-w', 'start',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica -c hot_standby=on`])
  pg('initdb', ['-D', join(dir, 'primary'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'])
  start('primary', primaryPort)
  pg('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', join(dir, 'standby'), '-R', '-X', 'stream', '-c', 'fast'])
  start('standby', standbyPort)
  return {
    primary: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`,
    standby: `postgres://postgres@127.0.0.1:${standbyPort}/postgres`,
    stopStandby: () => pg('pg_ctl', ['-D', join(dir, 'standby'), '-m', 'fast', '-w', 'stop']),
    startStandby: () => start('standby', standbyPort),
    stop: () => {
      for (const data of ['standby', 'primary']) {
        try {
          pg('pg_ctl', ['-D', join(dir, data), '-m', 'immediate', '-w', 'stop'])
        }
        catch { /* it never started: nothing to stop */ }
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Asks until `check` holds: how long a standby takes to replay is not ours to guess. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise(resolve => setTimeout(resolve, 50))
  expect(await check()).toBe(true)
}

/**
 * DATABASE_READ_URL on a real streaming hot standby (Postgres only). The standby's replay is paused between two
 * uploads: the read views then show what it had, so they came from it; the upload, a new key, a sign-in and the run
 * page of the upload just made work against the primary. Resumed, the standby catches up by streaming.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL || !existsSync(`${PG_BIN}/pg_basebackup`))('a streaming read replica', () => {
  let server: TestServer
  let pair: Awaited<ReturnType<typeof streamingPair>>

  beforeAll(async () => {
    pair = await streamingPair()
    server = await startServer({ DATABASE_URL: pair.primary, DATABASE_READ_URL: pair.standby })
  })
  afterAll(async () => {
    await server?.stop()
    pair?.stop()
  })

  it('reads from the standby, writes on the primary, and a run page right after its upload despite the lag', async () => {
    const standby = { DATABASE_URL: pair.standby }
    const [state] = await queryDb<{ recovery: boolean }>(standby, 'select pg_is_in_recovery() as recovery')
    expect(state?.recovery).toBe(true)

    const cookie = await login(server)
    const { key } = await createKey(server, cookie, { scopes: ['ingest', 'read'] })
    const first = await upload(server, [{ name: 'r.json', content: report('first') }], { key, query: { project: 'api', runKey: 'one' } })
    expect(first.status).toBe(201)
    const runIds = async () => (await fetch(`${server.url}/api/projects/api/runs`, { headers: { cookie } }).then(r => r.json()))
      .items?.map((r: { id: string }) => r.id) ?? []
    await until(async () => (await runIds()).includes(first.body.runId))

    await queryDb(standby, 'select pg_wal_replay_pause()')
    const second = await upload(server, [{ name: 'r.json', content: report('second') }], { key, query: { project: 'api', runKey: 'two' } })
    expect(second.status).toBe(201)
    expect(await runIds()).toEqual([first.body.runId])

    const page = await fetch(`${server.url}/api/runs/${second.body.runId}`, { headers: { cookie } })
    expect(page.status).toBe(200)
    expect((await page.json()).id).toBe(second.body.runId)
    const html = await fetch(`${server.url}/runs/${second.body.runId}`, { headers: { cookie } })
    expect(html.status).toBe(200)
    // and by its number (/projects/api/runs/2), which the receipt's runNumber names
    expect(second.body.runNumber).toBe(2)
    const byNumber = await fetch(`${server.url}/api/projects/api/runs/by-number/2`, { headers: { cookie } })
    expect(byNumber.status).toBe(200)
    expect((await byNumber.json()).runId).toBe(second.body.runId)

    // a sign-in and a key made while the standby lags work on the primary; what the key reads comes from the standby
    const { key: later } = await createKey(server, await login(server), { scopes: ['read'] })
    const mcp = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${later}`, 'content-type': 'application/json', 'accept': 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_runs', arguments: { projectSlug: 'api' } } }),
    }).then(r => r.json())
    expect(mcp.result.isError).toBeFalsy()
    expect(mcp.result.content[0].text).toContain(first.body.runId)
    expect(mcp.result.content[0].text).not.toContain(second.body.runId)

    await queryDb(standby, 'select pg_wal_replay_resume()')
    await until(async () => (await runIds()).length === 2)
    expect(await runIds()).toEqual([second.body.runId, first.body.runId])
  })
})

/** The replica down when the server first reads from it: a 503 per read, then reads as soon as it is back. */
describe.skipIf(!process.env.TEST_DATABASE_URL || !existsSync(`${PG_BIN}/pg_basebackup`))('a read replica down at the first read', () => {
  let server: TestServer
  let pair: Awaited<ReturnType<typeof streamingPair>>

  beforeAll(async () => {
    pair = await streamingPair()
    pair.stopStandby()
    server = await startServer({ DATABASE_URL: pair.primary, DATABASE_READ_URL: pair.standby })
  })
  afterAll(async () => {
    await server?.stop()
    pair?.stop()
  })

  it('answers reads 503 while it is down and reads from it once it is back, without a restart', async () => {
    const cookie = await login(server)
    const projects = () => fetch(`${server.url}/api/projects`, { headers: { cookie } })
    for (let i = 0; i < 2; i++) expect((await projects()).status).toBe(503)
    pair.startStandby()
    await until(async () => (await projects()).status === 200)
  })
})
