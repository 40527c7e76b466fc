import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

/**
 * PGlite runs no autovacuum, so the server keeps the embedded database's planner statistics itself (services/upkeep.ts):
 * a few seconds after uploads, every table that grew since it was last analyzed is vacuumed and analyzed.
 */

const TESTS = 600
const RUNS = 3

function junit(run: number): string {
  const cases = Array.from({ length: TESTS }, (_, i) => `<testcase classname="upkeep.Suite${i % 20}" name="case ${i}" time="0.01">${
    (i + run) % 50 === 0 ? '<failure message="expected 1 to be 2">AssertionError: expected 1 to be 2</failure>' : ''}</testcase>`)
  return `<?xml version="1.0"?><testsuite name="upkeep" tests="${TESTS}">${cases.join('')}</testsuite>`
}

describe.skipIf(!!process.env.TEST_DATABASE_URL)('the embedded database\'s upkeep', () => {
  let server: TestServer

  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  /** Waits for the next upkeep that vacuumed something, after `from` characters of the server's output. */
  const upkeepAfter = async (from: number) => {
    const deadline = Date.now() + 30_000
    while (!/embedded database upkeep: vacuumed and analyzed/.test(server.logs().slice(from))) {
      expect(Date.now(), server.logs()).toBeLessThan(deadline)
      await new Promise(r => setTimeout(r, 200))
    }
  }

  it('gives the tables uploads grew planner statistics a few seconds after the uploads', async () => {
    const cookie = await login(server)
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    // the one queued at start (the admin user's row, the job queue's own tables): the next one is the uploads'
    await upkeepAfter(0)
    const before = server.logs().length
    for (let run = 1; run <= RUNS; run++) {
      const res = await upload(server, [{ name: 'report.xml', content: junit(run) }], { key, query: { project: 'upkeep', branch: 'main', runKey: `r${run}` } })
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201)
    }
    await upkeepAfter(before)
    await server.kill()

    // a vacuum that read the whole table counts its rows exactly
    const tables = await queryDb<{ name: string, reltuples: number, stats: number }>(server.env, `
      select c.relname as name, c.reltuples::int as reltuples, (select count(*)::int from pg_stats s where s.tablename = c.relname) as stats
      from pg_class c
      where c.oid in (select inhrelid from pg_inherits where inhparent = 'test_results'::regclass) or c.relname in ('runs', 'test_cases')`)
    const partitions = tables.filter(t => t.name.startsWith('test_results_') && t.reltuples > 0)
    expect(partitions.reduce((n, t) => n + t.reltuples, 0)).toBe(TESTS * RUNS)
    expect(partitions.every(t => t.stats > 0)).toBe(true)
    expect(tables.find(t => t.name === 'test_cases')).toMatchObject({ reltuples: TESTS })
    expect(tables.find(t => t.name === 'runs')).toMatchObject({ reltuples: RUNS })
    expect(tables.find(t => t.name === 'test_cases')!.stats).toBeGreaterThan(0)
  })
})
