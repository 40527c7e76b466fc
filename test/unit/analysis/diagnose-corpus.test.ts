import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { categoryAccuracy } from '../../../server/analysis/diagnose'

/**
 * The rule engine on the failing results of every report in ../shared/corpus (real projects' reports), each labelled
 * with the category a person would give it. Messages that say nothing ("failure", "message") are labelled unknown.
 */
const labelled: { source: string, category: string, message: string, stack: string | null }[]
  = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/diagnosis/corpus-failures.json'), 'utf8'))

describe('rule engine on the labelled corpus failures', () => {
  it('gets the category right for at least 90% of them', () => {
    const { accuracy, misses } = categoryAccuracy(labelled)
    expect(labelled.length).toBeGreaterThan(150)
    expect(misses.map(m => `${m.expected} → ${m.got}: ${m.message.slice(0, 80)}`)).toEqual(expect.any(Array))
    expect(accuracy).toBeGreaterThanOrEqual(0.9)
  })
})
