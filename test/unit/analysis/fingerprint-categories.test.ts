import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { classifyError } from '../../../server/analysis/diagnose'
import { fingerprintFailure } from '../../../server/analysis/fingerprint'

/*
 * A cluster's category is the fingerprint's, and a diagnosis's message rules are the rule engine's: one classifier
 * serves both, so they cannot disagree (before, FileNotFoundError was "network" on the cluster and "environment" in
 * its diagnosis). Real failures from test/fixtures/failures, by id.
 */

const dir = resolve(__dirname, '../../fixtures/failures')
const labelled: { id: string, rootCause: string, message: string | null, stack: string | null }[]
  = JSON.parse(readFileSync(resolve(dir, 'labelled.json'), 'utf8'))
const categories: Record<string, string> = JSON.parse(readFileSync(resolve(dir, 'categories.json'), 'utf8'))
const byId = new Map(labelled.map(e => [e.id, e]))

const REAL: { id: string, what: string, category: string }[] = [
  { id: 'pytest-009', what: 'FileNotFoundError of a config file', category: 'environment' },
  { id: 'vitest-009', what: 'ENOENT opening settings.json', category: 'environment' },
  { id: 'junit5-008', what: 'FileNotFoundException as the last "Caused by:", beyond the top of the stack', category: 'environment' },
  { id: 'pytest-001', what: 'KeyError of an environment variable', category: 'environment' },
  { id: 'junit5-004', what: 'helpful NullPointerException in application code', category: 'crash' },
  { id: 'jest-006', what: 'TypeError: Cannot read properties of undefined', category: 'crash' },
  { id: 'pytest-005', what: 'AttributeError on None', category: 'crash' },
  { id: 'junit5-006', what: 'ConnectException as the last "Caused by:"', category: 'network' },
]

const TEXTS: { what: string, message: string, stack?: string, category: string }[] = [
  {
    what: 'pytest fixture not found',
    message: 'file /app/tests/test_orders.py, line 12\n  def test_total(db_session):\nE       fixture \'db_session\' not found\n'
      + '>       available fixtures: cache, capfd, capsys, monkeypatch, tmp_path',
    category: 'environment',
  },
  { what: 'KeyError of a data key in application code', message: 'KeyError: \'price\'', category: 'crash' },
  {
    what: 'Python TypeError in application code',
    message: 'TypeError: unsupported operand type(s) for +: \'int\' and \'NoneType\'',
    stack: 'Traceback (most recent call last):\n  File "/app/shop/cart.py", line 41, in total\n    return sum(l.price for l in lines) + shipping\n'
      + 'TypeError: unsupported operand type(s) for +: \'int\' and \'NoneType\'',
    category: 'crash',
  },
  {
    what: 'Hamcrest expectation that saw an exception',
    message: 'Expected: (an instance of java.lang.IllegalArgumentException)\n     but: <java.lang.IllegalStateException: closed> '
      + 'is a java.lang.IllegalStateException',
    category: 'assertion',
  },
]

describe('fingerprintFailure: one category with the rule engine', () => {
  it.each(REAL)('$id: $what is $category', ({ id, category }) => {
    const e = byId.get(id)!
    expect(categories[e.rootCause]).toBe(category)
    expect(fingerprintFailure(e)!.category).toBe(category)
  })

  it.each(TEXTS)('$what is $category', ({ message, stack, category }) => {
    expect(fingerprintFailure({ message, stack: stack ?? null })!.category).toBe(category)
    expect(classifyError(message, stack ?? null)?.category).toBe(category)
  })

  it('agrees with the rule engine on every labelled failure, and with the hand labels on at least 95%', () => {
    const rows = labelled.map(e => ({
      fingerprint: fingerprintFailure(e)?.category, engine: classifyError(e.message ?? '', e.stack)?.category ?? 'unknown',
      truth: categories[e.rootCause],
    }))
    expect(rows.filter(r => r.fingerprint !== r.engine)).toEqual([])
    expect(rows.filter(r => r.fingerprint === r.truth).length / rows.length).toBeGreaterThanOrEqual(0.95)
  })
})
