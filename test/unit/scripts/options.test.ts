import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { count, readOptions } from '../../../scripts/lib/options'

/** bench:ingest's options: a case filter in words, a build to compare with, a day's runs. */
const INGEST = { 'before': z.string().optional(), 'day-runs': count(0, 0) }
/** bench:load's: whole numbers, a fraction and a flag. */
const LOAD = { seconds: count(60), rate: z.coerce.number().min(0).default(0), chunks: z.boolean().default(false) }

describe('a benchmark\'s command line', () => {
  it.each([
    ['nothing: the defaults', LOAD, [], { seconds: 60, rate: 0, chunks: false, keep: false }],
    ['a whole number, a fraction and a flag', LOAD, ['--seconds', '30', '--rate', '34.5', '--chunks'], { seconds: 30, rate: 34.5, chunks: true }],
    ['the database options every benchmark takes', LOAD, ['--keep', '--reuse', 'pd_bench_mcp_17'], { keep: true, reuse: 'pd_bench_mcp_17' }],
    ['an option written with =', LOAD, ['--seconds=5'], { seconds: 5 }],
  ] as const)('reads %s', (_, shape, argv, expected) => {
    expect(readOptions(shape, [...argv])).toMatchObject(expected)
  })

  it('keeps the words of a case filter, around the options, when the benchmark takes them', () => {
    expect(readOptions(INGEST, ['JUnit XML, 10,000|Playwright', '--day-runs', '70', '--before', '/tmp/before'], true))
      .toEqual({ 'keep': false, 'day-runs': 70, 'before': '/tmp/before', 'positionals': ['JUnit XML, 10,000|Playwright'] })
  })

  it.each([
    ['a misspelt option', LOAD, ['--secnods', '30'], /^Unknown option '--secnods' \(it takes --keep, --reuse, --seconds, --rate, --chunks\)\.$/],
    ['an option without its value', LOAD, ['--seconds'], /^Option '--seconds <value>' argument missing/],
    ['a value that is not a number', LOAD, ['--seconds', 'ten'], /^--seconds: .*expected number/],
    ['a fraction where a whole number goes', LOAD, ['--seconds', '1.5'], /^--seconds: .*expected int/],
    ['a number below the least', LOAD, ['--seconds', '0'], /^--seconds: .*>=1/],
    ['a database name that is not one', LOAD, ['--reuse', 'pd; drop database x'], /^--reuse: takes the name of a kept database/],
    ['words where the benchmark takes none', LOAD, ['JUnit'], /^Unexpected argument 'JUnit'/],
  ] as const)('refuses %s with a sentence', (_, shape, argv, message) => {
    expect(readOptions(shape, [...argv])).toMatch(message)
  })
})
