import { describe, expect, it } from 'vitest'
import { generateDemo } from '../../../server/demo'
import { parseReport } from '../../../server/ingest'

const now = new Date('2026-11-20T18:00:00Z')
const demo = generateDemo({ seed: 42, scale: 1, now })

describe('demo dataset', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(JSON.stringify(generateDemo({ seed: 42, scale: 0.2, now }))).toBe(JSON.stringify(generateDemo({ seed: 42, scale: 0.2, now })))
    const firstUpload = (seed: number) => JSON.stringify(generateDemo({ seed, scale: 0.2, now }).uploads[0])
    expect(firstUpload(7)).not.toBe(firstUpload(42))
  })

  it('has four projects with weeks of runs on main and feature branches, sorted by time', () => {
    expect(demo.projects.map(p => p.slug)).toEqual(['web', 'api', 'billing', 'ml-pipeline'])
    expect(demo.uploads.length).toBeGreaterThanOrEqual(300)
    expect(demo.uploads.length).toBeLessThanOrEqual(450)
    const times = demo.uploads.map(u => u.startedAt)
    expect([...times].sort()).toEqual(times)
    const spanDays = (Date.parse(times.at(-1)!) - Date.parse(times[0]!)) / 86_400_000
    expect(spanDays).toBeGreaterThan(28)
    expect(new Set(demo.uploads.map(u => u.branch)).size).toBeGreaterThan(8)
    expect(new Set(demo.uploads.map(u => u.runKey)).size).toBe(demo.uploads.length)
  })

  it('labels flaky, broken, stable tests, infra runs and shared root causes in every project', () => {
    for (const p of demo.projects) {
      expect(demo.truth.flaky.some(t => t.project === p.slug)).toBe(true)
      expect(demo.truth.broken.some(t => t.project === p.slug)).toBe(true)
      expect(demo.truth.stable.some(t => t.project === p.slug)).toBe(true)
      expect(demo.truth.infraRuns.some(k => k.startsWith(`${p.slug}-`))).toBe(true)
      const causes = new Map<string, Set<string>>()
      for (const f of demo.truth.failures.filter(f => f.project === p.slug && !f.rootCause.startsWith('flaky:') && !f.rootCause.startsWith('infra:'))) {
        causes.set(f.rootCause, (causes.get(f.rootCause) ?? new Set()).add(f.title))
      }
      expect(Math.max(...[...causes.values()].map(s => s.size))).toBeGreaterThan(3)
    }
  })

  it('every upload parses with the real parsers, and every labelled failure is a failed result there', () => {
    let results = 0
    const failures = new Set(demo.truth.failures.map(f => `${f.runKey}|${f.title}|${f.variant}`))
    let failed = 0
    for (const u of demo.uploads) {
      for (const f of u.files) {
        const report = parseReport(f.content)
        results += report.results.length
        for (const r of report.results.filter(r => r.status === 'failed')) {
          // truth names tests as the report spells them
          expect(failures.has(`${u.runKey}|${r.title}|${r.variant}`), `${u.runKey} ${r.title}`).toBe(true)
          failed++
        }
      }
    }
    expect(failed).toBe(demo.truth.failures.length)
    expect(results).toBeGreaterThanOrEqual(20_000)
    expect(results).toBeLessThanOrEqual(40_000)
  })
})
