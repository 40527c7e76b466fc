import { afterAll, describe, expect, it, vi } from 'vitest'
import { generateDemo } from '../../server/demo'
import { startServer, type TestServer } from './server'
import { login } from './client'
import { dayRollupsCheck } from './day-rollups'

async function projectsOnceLoaded(server: TestServer, cookie: string, expectedRuns: number) {
  const deadline = Date.now() + 120_000
  for (;;) {
    const projects = await (await fetch(`${server.url}/api/projects`, { headers: { cookie } })).json() as { slug: string, runCount: number }[]
    if (projects.reduce((n, p) => n + p.runCount, 0) >= expectedRuns || Date.now() > deadline) return projects
    await new Promise(r => setTimeout(r, 500))
  }
}

describe('demo data', () => {
  const servers: TestServer[] = []
  afterAll(async () => {
    for (const s of servers.reverse()) await s.stop()
  })

  it('loads into an empty database through the ingest path, and only once', async () => {
    const expected = generateDemo({ seed: 42, scale: 0.2 })
    const perProject = Object.fromEntries(expected.projects.map(p => [p.slug, expected.uploads.filter(u => u.project === p.slug).length]))
    const first = await startServer({ PROOFDECK_DEMO: '1', PROOFDECK_DEMO_SCALE: '0.2' })
    servers.push(first)
    const projects = await projectsOnceLoaded(first, await login(first), expected.uploads.length)
    expect(Object.fromEntries(projects.map(p => [p.slug, p.runCount]))).toEqual(perProject)
    // said once every demo cluster has its diagnosis, which may be a little after the last run is stored
    await vi.waitFor(() => expect(first.logs()).toMatch(/demo data loaded: \d+ runs, \d+ results/), { timeout: 60_000, interval: 250 })

    // A restart on the same database does not load it again.
    await first.kill()
    // the demo's day rollups are rolled up at the end of its load (its uploads queue none), before it says so
    const days = await dayRollupsCheck(first.env)
    expect(days).toMatchObject({ due: 0, days_differing: 0, percentiles_differing: 0 })
    expect(days.rows).toBeGreaterThan(0)
    const second = await startServer({ PROOFDECK_DEMO: '1', PROOFDECK_DEMO_SCALE: '0.2', ...(first.env.DATABASE_URL ? { DATABASE_URL: first.env.DATABASE_URL } : { PROOFDECK_DATA_DIR: first.env.PROOFDECK_DATA_DIR! }) })
    servers.push(second)
    await new Promise(r => setTimeout(r, 1500))
    const again = await (await fetch(`${second.url}/api/projects`, { headers: { cookie: await login(second) } })).json() as { runCount: number }[]
    expect(again.reduce((n, p) => n + p.runCount, 0)).toBe(expected.uploads.length)
    expect(second.logs()).not.toMatch(/demo data loaded/)
  }, 120_000)
})
