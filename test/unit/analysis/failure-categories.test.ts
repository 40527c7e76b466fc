import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FAILURE_CATEGORIES } from '#shared/constants'
import { categoryAccuracy } from '../../../server/analysis/diagnose'

/**
 * test/fixtures/failures/categories.json gives the hand-labelled failure category of every root cause of the
 * labelled failure set; bench:accuracy scores the rule engine against it.
 */
const dir = resolve(__dirname, '../../fixtures/failures')
const labelled: { rootCause: string, message: string | null, stack: string | null }[] = JSON.parse(readFileSync(resolve(dir, 'labelled.json'), 'utf8'))
const { _doc: doc, ...categories }: Record<string, string> = JSON.parse(readFileSync(resolve(dir, 'categories.json'), 'utf8'))

describe('categories of the labelled failure set', () => {
  it('labels every root cause of labelled.json, and nothing else, with a known category', () => {
    const causes = new Set(labelled.map(e => e.rootCause))
    expect([...causes].filter(c => !(c in categories))).toEqual([])
    expect(Object.keys(categories).filter(c => !causes.has(c))).toEqual([])
    expect(Object.entries(categories).filter(([, c]) => !(FAILURE_CATEGORIES as readonly string[]).includes(c))).toEqual([])
    expect(doc).toMatch(/locator/)
  })

  it('the rule engine gets the category right for at least 90% of the failures', () => {
    const { accuracy, groups } = categoryAccuracy(labelled.map(e => ({ category: categories[e.rootCause]!, message: e.message ?? '', stack: e.stack, group: e.rootCause })))
    expect(accuracy).toBeGreaterThanOrEqual(0.9)
    expect(groups.accuracy).toBeGreaterThanOrEqual(0.9)
  })
})
