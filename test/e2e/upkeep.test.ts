import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

/**
 * PGlite runs no autovacuum, so the server keeps the embedded database's planner statistics itself (services/upkeep.ts):
 * a few seconds after an upload, every table without statistics, or grown by a tenth since they were counted, is
 * vacuumed and analyzed.
 */

const TESTS = 1500

function junit(run: number): string {
  const cases = Array.from({ length: TESTS }, (_, i) => `<testcase classname="upkeep.Suite${i % 20}" name="case ${i}" time="0.01">${
    (i + run) % 50 === 0 ? '<failure message="expected 1 to be 2">AssertionError: expected 1 to be 2</failure>' : ''}</testcase>`)
  return `<?xml version="1.0"?><testsuite name="upkeep" tests="${TESTS}">${cases.join('')}</testsuite>`
}

interface Counted { name: string, reltuples: number, stats: number }

describe.skipIf(!!process.env.TEST_DATABASE_URL)('the embedded database\'s upkeep', () => {
  let server: TestServer
  let key: string

  beforeAll(async () => {
    server = await startServer()
    key = (await createKey(server, await login(server), { scopes: ['ingest'] })).key
  })
  afterAll(async () => {
    await server?.stop()
  })

  /**
   * One upload, then the upkeep that counted its results: the first after it to name a results partition (none was
   * due before it, so that upkeep read which tables were due after the upload's commit).
   */
  const uploadThenUpkeep = async (run: number) => {
    const before = server.logs().length
    const res = await upload(server, [{ name: 'report.xml', content: junit(run) }], { key, query: { project: 'upkeep', branch: 'main', runKey: `r${run}` } })
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201)
    const deadline = Date.now() + 30_000
    while (!/embedded database upkeep: vacuumed and analyzed .*public\.test_results_/.test(server.logs().slice(before))) {
      expect(Date.now(), server.logs()).toBeLessThan(deadline)
      await new Promise(r => setTimeout(r, 200))
    }
  }
  /** The statistics' row counts of the results partitions, runs and test cases (read with the server stopped). */
  const counted = async () => {
    await server.kill()
    const tables = await queryDb<Counted>(server.env, `
      select c.relname as name, c.reltuples::int as reltuples, (select count(*)::int from pg_stats s where s.tablename = c.relname) as stats
      from pg_class c
      where c.oid in (select inhrelid from pg_inherits where inhparent = 'test_results'::regclass) or c.relname in ('runs', 'test_cases')`)
    server = await startServer(server.env)
    // a vacuum that read the whole table counts its rows exactly
    return {
      results: tables.filter(t => t.name.startsWith('test_results_') && t.reltuples > 0),
      runs: tables.find(t => t.name === 'runs')!,
      cases: tables.find(t => t.name === 'test_cases')!,
    }
  }

  it('counts the tables an upload made, then again the ones the next upload grew', async () => {
    await uploadThenUpkeep(1)
    const first = await counted()
    expect(first.results.reduce((n, t) => n + t.reltuples, 0)).toBe(TESTS)
    expect(first.results.every(t => t.stats > 0)).toBe(true)
    expect(first.cases).toMatchObject({ reltuples: TESTS })
    expect(first.cases.stats).toBeGreaterThan(0)
    expect(first.runs.reltuples).toBe(1)

    // counted already, and twice the rows now: grown past a tenth
    await uploadThenUpkeep(2)
    const second = await counted()
    expect(second.results.reduce((n, t) => n + t.reltuples, 0)).toBe(2 * TESTS)
  })
})
