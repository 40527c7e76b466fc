import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshDatabase, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

const PG_BIN = '/usr/lib/postgresql/15/bin'
const report = (title: string) => JSON.stringify({ format: 'proofdeck', version: 1, results: [{ title, status: 'passed' }] })

/**
 * DATABASE_READ_URL (Postgres only): the "replica" is a second database holding a copy of the primary taken after the
 * first upload (pg_dump), so it lags by everything after that. Reads that show the copy came from it; the upload, the
 * sign-in and the key check, which must see their own writes, work against the primary.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL || !existsSync(`${PG_BIN}/pg_dump`))('a read replica', () => {
  let server: TestServer
  let replica: Awaited<ReturnType<typeof freshDatabase>>

  beforeAll(async () => {
    replica = await freshDatabase()
    server = await startServer({ DATABASE_READ_URL: replica.env.DATABASE_URL! })
  })
  afterAll(async () => {
    await server?.stop()
    await replica?.drop()
  })

  it('serves the read views from the replica and every write (and what reads it back) from the primary', async () => {
    const cookie = await login(server)
    const { key } = await createKey(server, cookie, { scopes: ['ingest', 'read'] })
    const first = await upload(server, [{ name: 'r.json', content: report('first') }], { key, query: { project: 'api', runKey: 'one' } })
    expect(first.status).toBe(201)

    const dump = execFileSync(`${PG_BIN}/pg_dump`, ['--no-owner', '-d', server.env.DATABASE_URL!], { maxBuffer: 64 << 20 })
    execFileSync(`${PG_BIN}/psql`, ['-q', '-v', 'ON_ERROR_STOP=1', '-d', replica.env.DATABASE_URL!], { input: dump, stdio: ['pipe', 'ignore', 'pipe'] })

    const second = await upload(server, [{ name: 'r.json', content: report('second') }], { key, query: { project: 'api', runKey: 'two' } })
    expect(second.status).toBe(201)
    expect(second.body.runId).not.toBe(first.body.runId)

    const runs = await fetch(`${server.url}/api/projects/api/runs`, { headers: { cookie } }).then(r => r.json())
    expect(runs.items.map((r: { id: string }) => r.id)).toEqual([first.body.runId])
    const lagging = await fetch(`${server.url}/api/runs/${second.body.runId}`, { headers: { cookie } })
    expect(lagging.status).toBe(404)

    // a key made after the copy is checked on the primary; what it reads still comes from the replica
    const { key: later } = await createKey(server, await login(server), { scopes: ['read'] })
    const mcp = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${later}`, 'content-type': 'application/json', 'accept': 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_runs', arguments: { projectSlug: 'api' } } }),
    }).then(r => r.json())
    expect(mcp.result.isError).toBeFalsy()
    expect(mcp.result.content[0].text).toContain(first.body.runId)
    expect(mcp.result.content[0].text).not.toContain(second.body.runId)
  })
})
