import { afterEach, describe, expect, it, vi } from 'vitest'
import { clusterRole, int4, mergeExecutions, runStatusOf, testIdentity, testLabel, uuidv7 } from '../../../server/ingest/merge'
import { foldUpload, packBatch, type UploadFile } from '../../../server/ingest/packed'
import type { ParsedAttempt, ParsedResult } from '../../../server/ingest/types'
import type { TestStatus } from '#shared/constants'

const STATUS: Record<string, TestStatus> = { P: 'passed', F: 'failed', E: 'errored', S: 'skipped' }

/** One try: P passed, F failed, E errored, S skipped; failures carry an error naming the try. */
function attempt(letter: string, n: number, durationMs: number | null = 10): ParsedAttempt {
  const status = STATUS[letter]!
  const failing = status === 'failed' || status === 'errored'
  return {
    status, durationMs, errorMessage: failing ? `boom ${n}` : null, errorStack: failing ? `at t.spec.ts:${n}` : null,
    startedAt: null, stdout: null, stderr: null,
  }
}

/**
 * One execution as a parser reports it, its tries written as letters ("FP": failed, then passed on retry): the final
 * status is the last try's, a pass after a failure is flaky, the error is the last failing try's.
 */
function execution(tries: string, overrides: Partial<ParsedResult> = {}): ParsedResult {
  const attempts = [...tries].map((l, i) => attempt(l, i + 1))
  const last = attempts[attempts.length - 1]!
  const failure = [...attempts].reverse().find(a => a.errorMessage)
  return {
    file: 'tests/cart.spec.ts', line: 3, suitePath: ['cart'], title: 'adds an item', variant: null,
    status: last.status, flaky: last.status === 'passed' && !!failure, durationMs: attempts.length * 10, attempts,
    errorMessage: failure?.errorMessage ?? null, errorStack: failure?.errorStack ?? null, stdout: null, stderr: null,
    steps: [], annotations: [], attachments: [], tags: [], properties: {},
    ...overrides,
  }
}

const letters = (r: ParsedResult) => r.attempts.map(a => Object.keys(STATUS).find(k => STATUS[k] === a.status)).join('')

describe('mergeExecutions', () => {
  it.each<[string[], TestStatus, boolean, string, string | null, string]>([
    // [executions, status, flaky, attempts in order, last error, why]
    [['P'], 'passed', false, 'P', null, 'one execution is kept as it is'],
    [['FP'], 'passed', true, 'FP', 'boom 1', 'one execution keeps its own retries and flakiness'],
    [['F', 'P'], 'passed', true, 'FP', 'boom 1', 'a pass after a failure (duplicate identity) is a flaky pass'],
    [['E', 'P'], 'passed', true, 'EP', 'boom 1', 'errored counts as a failure too'],
    [['P', 'F'], 'failed', false, 'PF', 'boom 1', 'the last decisive try wins: a failure after a pass fails'],
    [['F', 'S'], 'failed', false, 'FS', 'boom 1', 'a skipped try is not decisive'],
    [['S', 'P', 'S'], 'passed', false, 'SPS', null, 'skips around a pass leave it a pass, and not flaky'],
    [['S', 'S'], 'skipped', false, 'SS', null, 'only skips: skipped'],
    [['FF', 'FP'], 'passed', true, 'FFFP', 'boom 1', 'shards: retries of both shards become one attempt list'],
    [['FP', 'P'], 'passed', true, 'FPP', 'boom 1', 'a flaky execution keeps the merged result flaky'],
    [['P', 'P', 'P'], 'passed', false, 'PPP', null, 'three clean runs of one test are three attempts, not flaky'],
    [['F', 'E'], 'errored', false, 'FE', 'boom 1', 'the status is the last try\'s, the error the last failing execution\'s'],
  ])('%j -> %s flaky=%s (%s)', (tries, status, flaky, attempts, error) => {
    const merged = mergeExecutions(tries.map(t => execution(t)))
    expect(merged.status).toBe(status)
    expect(merged.flaky).toBe(flaky)
    expect(letters(merged)).toBe(attempts)
    expect(merged.errorMessage).toBe(error)
  })

  it.each<[(number | null)[], number | null, string]>([
    // [durations of the tries, merged duration, why]
    [[10, 20], 30, 'durations of all tries add up'],
    [[null, 20], 20, 'an unknown duration is left out, not counted as zero'],
    [[null, null], null, 'no known duration stays unknown'],
  ])('durations %j -> %s (%s)', (durations, total) => {
    const executions = durations.map(d => execution('P', { attempts: [attempt('P', 1, d)] }))
    expect(mergeExecutions(executions).durationMs).toBe(total)
  })

  it.each<[(string | null)[], string | null, string]>([
    // [stdout of each execution, merged, why]
    [['a', 'b'], 'a\nb', 'output of every execution is kept, in order'],
    [['a', null], 'a', 'missing output is skipped'],
    [[null, ''], null, 'no output at all stays null'],
  ])('stdout %j -> %j (%s)', (outputs, expected) => {
    expect(mergeExecutions(outputs.map(stdout => execution('P', { stdout }))).stdout).toBe(expected)
  })

  it.each<[string[], TestStatus, boolean, string, string | null, string]>([
    // [executions as tries@repetition, status, flaky, attempts in order, error, why]
    [['F@0', 'P@1'], 'failed', false, 'FP', 'boom 1', 'a failed repetition fails the test: a pass in another one is no retry of it'],
    [['P@0', 'F@1'], 'failed', false, 'PF', 'boom 1', 'whichever repetition came first'],
    [['F@0', 'E@1'], 'errored', false, 'FE', 'boom 1', 'of failed repetitions, the last one says the status and the error'],
    [['FP@0', 'P@1'], 'passed', true, 'FPP', 'boom 1', 'a repetition that passed on retry leaves the test a flaky pass'],
    [['F@0', 'P@0', 'P@1'], 'passed', true, 'FPP', 'boom 1', 'executions of one repetition are still retries of each other'],
    [['S@0', 'P@1'], 'passed', false, 'SP', null, 'a skipped repetition fails nothing'],
  ])('%j -> %s flaky=%s (%s)', (tries, status, flaky, attempts, error) => {
    const merged = mergeExecutions(tries.map((t) => {
      const [written, repeat] = t.split('@')
      return execution(written!, Number(repeat) ? { repeat: Number(repeat) } : {})
    }))
    expect(merged.status).toBe(status)
    expect(merged.flaky).toBe(flaky)
    expect(letters(merged)).toBe(attempts)
    expect(merged.errorMessage).toBe(error)
  })

  it('keeps a failure folded across repetitions failed when a later upload of the run brings the test again', () => {
    const repeated = mergeExecutions([execution('F'), execution('P', { repeat: 1 })])
    const stored = execution('P')
    expect(mergeExecutions([stored, repeated])).toMatchObject({ status: 'failed', flaky: false, errorMessage: 'boom 1' })
    // a rerun that passes after it is a retry of the run's failure, as for any shard
    expect(mergeExecutions([repeated, execution('P')])).toMatchObject({ status: 'passed', flaky: true })
  })

  it('keeps the other fields of the last execution', () => {
    const merged = mergeExecutions([execution('F', { line: 1, tags: ['a'] }), execution('P', { line: 2, tags: ['b'] })])
    expect(merged).toMatchObject({ line: 2, tags: ['b'], title: 'adds an item' })
  })
})

describe('clusterRole', () => {
  it.each<[string[], 'failure' | 'retry' | null, string | null, string]>([
    // [executions as tries, role, error that decides the cluster, why]
    [['F'], 'failure', 'boom 1', 'a failure clusters by its error'],
    [['E'], 'failure', 'boom 1', 'an errored result is a failure too'],
    [['FFF'], 'failure', 'boom 3', 'a failure after failed retries clusters by its final error'],
    [['FP'], 'retry', 'boom 1', 'a pass on retry clusters by the failure it got past'],
    [['FEP'], 'retry', 'boom 2', 'of several failed tries, the last one before the pass decides'],
    [['F', 'P'], 'retry', 'boom 1', 'a failure in one shard and a pass in the next is a retry pass of that failure'],
    [['FP', 'F'], 'failure', 'boom 1', 'a retry pass followed by a failing shard is a failure'],
    [['P'], null, null, 'a clean pass has nothing to cluster'],
    [['SPS'], null, null, 'skips around a pass are not failures'],
    [['S'], null, null, 'a skip is not a failure'],
  ])('%j -> %s (%s)', (tries, role, error) => {
    const merged = mergeExecutions(tries.map(t => execution(t)))
    expect(clusterRole(merged)).toBe(role)
    if (role) expect(merged.errorMessage).toBe(error)
  })

  it.each<[Partial<ParsedResult>, 'failure' | 'retry' | null, string]>([
    // [result, role, why]
    [{ status: 'failed', flaky: false, errorMessage: null, errorStack: null }, null, 'a failure without any error text has no fingerprint'],
    [{ status: 'failed', flaky: false, errorMessage: null, errorStack: 'at x' }, 'failure', 'a stack alone is enough'],
    [{ status: 'passed', flaky: true, errorMessage: null, errorStack: null }, null,
      'a retry pass whose failed tries said nothing (CTRF retries without retryAttempts) joins no cluster'],
    [{ status: 'passed', flaky: false, errorMessage: 'deprecated', errorStack: null }, null, 'a message on a pass that never failed is no failure'],
    [{ status: 'skipped', flaky: false, errorMessage: 'boom', errorStack: null }, null, 'a skip with a message is not a failure'],
  ])('%j -> %s (%s)', (result, role) => {
    expect(clusterRole(execution('P', result))).toBe(role)
  })
})

/** The whole upload folded, its slices joined: every test once, in order of first occurrence. */
function mergeUpload(files: UploadFile[]) {
  const { slices, rejected, duplicates } = foldUpload(files)
  return { merged: [...slices(1)].flat(), rejected, duplicates }
}

describe('foldUpload', () => {
  // one result a batch: a repeat is always in another batch than its first occurrence
  const file = (name: string, ...results: ParsedResult[]): UploadFile => ({ name, batches: results.map(r => packBatch([r])) })

  it.each<[UploadFile[], Record<string, number>, string]>([
    // [files, merged (label: occurrences), why]
    [[file('a.xml', execution('P'), execution('P'))], { 'cart › adds an item': 2 }, 'a duplicate identity in one file is one result'],
    [[file('a.xml', execution('P', { variant: 'chromium' }), execution('P', { variant: 'firefox' }))],
      { 'cart › adds an item [chromium]': 1, 'cart › adds an item [firefox]': 1 }, 'variants are different tests'],
    [[file('a.xml', execution('P'), execution('P', { title: 'removes an item' }))],
      { 'cart › adds an item': 1, 'cart › removes an item': 1 }, 'different titles are different tests'],
    [[file('a.xml')], {}, 'an empty report merges to nothing'],
  ])('%# %s', (files, expected) => {
    const { merged, rejected } = mergeUpload(files)
    expect(Object.fromEntries(merged.map(m => [testLabel(m.result), m.occurrences]))).toEqual(expected)
    expect(rejected).toEqual([])
  })

  it('folds duplicates in one file into attempts of one result, flaky when a failure is followed by a pass', () => {
    const { merged } = mergeUpload([file('a.xml', execution('F'), execution('P'))])
    expect(merged).toHaveLength(1)
    expect(merged[0]!.identityHash).toBe(testIdentity(execution('P')))
    expect(merged[0]!.result).toMatchObject({ status: 'passed', flaky: true })
    expect(letters(merged[0]!.result)).toBe('FP')
  })

  it.each([['failed in the first file', 'F', 'P'], ['failed in the second file', 'P', 'F']])(
    'keeps the same test in two files (one class in two modules) failed when it %s, never a pass on retry, and says so', (_, a, b) => {
      const { merged, rejected } = mergeUpload([file('api/TEST-x.xml', execution(a)), file('web/TEST-x.xml', execution(b))])
      expect(merged).toHaveLength(1)
      expect(merged[0]!.occurrences).toBe(2)
      expect(merged[0]!.result).toMatchObject({ status: 'failed', flaky: false })
      expect(merged[0]!.result.repeat).toBeUndefined()
      expect(rejected).toEqual([{ item: '1 test in more than one file of this upload', reason: expect.stringContaining('kept as one result that fails if any file\'s run failed') }])
    })

  it('still reads a file\'s own reruns as retries when the test is in another file too', () => {
    const { merged } = mergeUpload([file('a.xml', execution('F'), execution('P')), file('b.xml', execution('P'))])
    expect(merged[0]!.result).toMatchObject({ status: 'passed', flaky: true })
  })

  it.each([
    // [title, suite path, rejected item, why]
    ['', ['cart'], 'a.xml: a test in cart', 'an empty name'],
    ['   ', ['cart', 'checkout'], 'a.xml: a test in cart › checkout', 'a name of spaces only'],
    ['', [], 'a.xml: a test in the root suite', 'a nameless test outside any suite'],
  ])('rejects a test with %j in %j with the reason (%s)', (title, suitePath, item) => {
    const { merged, rejected } = mergeUpload([file('a.xml', execution('P', { title, suitePath }), execution('P'))])
    expect(merged).toHaveLength(1)
    expect(rejected).toEqual([{ item, reason: 'it has no name, so it cannot be tracked across runs' }])
  })

  it('folds the same whether a repeat is in the batch of its first occurrence or a later one, and slices in order', () => {
    const a = execution('F', { title: 'a' })
    const b = execution('P', { title: 'b' })
    const c = execution('P', { title: 'c' })
    const results = [a, b, execution('P', { title: 'a' }), c, execution('E', { title: 'b' }), execution('P', { title: 'a' })]
    const shapes = [[results], [results.slice(0, 3), results.slice(3)], results.map(r => [r])]
    const folded = shapes.map(batches => foldUpload([{ name: 'a.xml', batches: batches.map(b => packBatch(b)) }]))
    for (const f of folded) {
      const merged = [...f.slices(1)].flat()
      expect(merged.map(m => [m.result.title, m.occurrences, letters(m.result)])).toEqual([['a', 3, 'FPP'], ['b', 2, 'PE'], ['c', 1, 'P']])
      expect(merged.map(m => m.identityHash)).toEqual([a, b, c].map(testIdentity))
      expect(f.duplicates).toEqual([{ test: 'cart › a', occurrences: 3 }, { test: 'cart › b', occurrences: 2 }])
    }
    // a slice holds whole batches, at least the size asked for, the last one what is left
    expect([...folded[2]!.slices(2)].map(s => s.length)).toEqual([2, 1])
    expect([...folded[0]!.slices(2)].map(s => s.length)).toEqual([3])
  })
})

describe('testIdentity', () => {
  const base = { file: 'tests/cart.spec.ts', suitePath: ['cart'], title: 'adds an item', variant: null }

  it('is pinned: stored test cases are found again by it after an upgrade', () => {
    expect(testIdentity(base)).toBe('f207a77aa6d39363b4c64d116443c7f0')
    expect(testIdentity(base)).toMatch(/^[0-9a-f]{32}$/)
  })

  it.each<[Partial<ParsedResult>, boolean, string]>([
    // [change, same identity?, why]
    [{ file: null }, false, 'the file is part of the identity'],
    [{ suitePath: ['cart', 'guest'] }, false, 'a deeper suite path is another test'],
    [{ suitePath: ['shop'] }, false, 'a renamed suite is another test'],
    [{ suitePath: [] }, false, 'a test moved out of its suite is another test'],
    [{ variant: 'chromium' }, false, 'each variant (browser, parameter set) is its own test'],
    [{ title: 'adds an item ' }, false, 'the title is taken as written'],
    [{ suitePath: ['cart'] }, true, 'an equal suite path (another array) is the same test'],
    [{ variant: '' }, true, 'an empty variant is no variant'],
    [{ titleHash: '0123456789abcdef' }, false, 'a title cut to its cap adds the whole name\'s hash: two long names stay two tests'],
  ])('%j: same=%s (%s)', (change, same) => {
    expect(testIdentity({ ...base, ...change }) === testIdentity(base)).toBe(same)
  })

  it.each([
    // [a, b, why]
    [{ suitePath: ['a b'], title: 't' }, { suitePath: ['a', 'b'], title: 't' }, 'suite path segments do not run together'],
    [{ suitePath: ['a'], title: 'b' }, { suitePath: [], title: 'a b' }, 'a suite is not part of the title'],
    [{ suitePath: ['a › b'], title: 't' }, { suitePath: ['a', 'b'], title: 't' }, 'the label separator inside a name stays a name'],
  ])('%j and %j differ (%s)', (a, b) => {
    expect(testIdentity({ file: null, variant: null, ...a })).not.toBe(testIdentity({ file: null, variant: null, ...b }))
  })

  it('an empty file is no file', () => {
    expect(testIdentity({ ...base, file: '' })).toBe(testIdentity({ ...base, file: null }))
  })
})

describe('testLabel', () => {
  it.each([
    [{ suitePath: ['cart', 'guest'], title: 'adds', variant: null }, 'cart › guest › adds'],
    [{ suitePath: [], title: 'adds', variant: null }, 'adds'],
    [{ suitePath: ['cart'], title: 'adds', variant: 'firefox' }, 'cart › adds [firefox]'],
    [{ suitePath: ['cart'], title: 'adds', variant: '' }, 'cart › adds'],
    // as shown: without pytest's default root suite, an escaped id decoded
    [{ suitePath: ['pytest', 'tests.test_payments'], title: 'test_charge', variant: null }, 'tests.test_payments › test_charge'],
    [{ suitePath: ['pytest', 'tests.test_x'], title: 'test_greets[M\\xfcller]', variant: null }, 'tests.test_x › test_greets[Müller]'],
  ])('%j -> %s', (r, label) => {
    expect(testLabel(r)).toBe(label)
  })
})

describe('int4', () => {
  it.each<[number | null | undefined, number | null, string]>([
    // [input, stored, why]
    [1234, 1234, 'an integer'],
    [12.4, 12, 'rounded down'],
    [12.5, 13, 'rounded half up'],
    [-3.6, -4, 'negative values are rounded too'],
    [0, 0, 'zero is a value, not missing'],
    [2_147_483_647, 2_147_483_647, 'the largest int4'],
    [2_147_483_648, null, 'one past int4 is dropped, not wrapped'],
    [-2_147_483_647, -2_147_483_647, 'the most negative value kept'],
    [1e12, null, 'time="1e12" (milliseconds of a hostile report)'],
    [Number.NaN, null, 'time="abc" parsed to NaN'],
    [Number.POSITIVE_INFINITY, null, 'infinity'],
    [null, null, 'missing'],
    [undefined, null, 'absent'],
  ])('%s -> %s (%s)', (input, stored) => {
    expect(int4(input)).toBe(stored)
  })
})

describe('runStatusOf', () => {
  const counts = (c: Partial<Record<'tests' | 'passed' | 'failed' | 'errored' | 'skipped' | 'flaky', number>>) =>
    ({ tests: 0, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0, ...c })

  it.each([
    // [counts, run-level errors, status, why]
    [counts({ tests: 3, passed: 3 }), 0, 'passed', 'all green'],
    [counts({ tests: 3, passed: 2, failed: 1 }), 0, 'failed', 'one failure fails the run'],
    [counts({ tests: 3, passed: 2, errored: 1 }), 0, 'failed', 'an errored test fails the run'],
    [counts({ tests: 3, passed: 3, flaky: 1 }), 0, 'passed', 'a flaky pass is a pass'],
    [counts({ tests: 2, skipped: 2 }), 0, 'passed', 'only skipped tests: nothing failed'],
    [counts({}), 0, 'empty', 'no tests at all'],
    [counts({}), 1, 'failed', 'a run-level error (e.g. webServer crash) with no tests fails'],
    [counts({ tests: 3, passed: 3 }), 1, 'failed', 'a run-level error fails an otherwise green run'],
  ])('%j with %s error(s) -> %s (%s)', (c, errors, status) => {
    expect(runStatusOf(c, errors)).toBe(status)
  })
})

describe('uuidv7', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

  it('has the RFC 9562 layout: version 7, variant 10', () => {
    for (let i = 0; i < 100; i++) expect(uuidv7()).toMatch(FORMAT)
  })

  it.each([
    // [clock, leading 48 bits]
    [Date.UTC(2026, 0, 1), '019b76da-a800'],
    [0, '00000000-0000'],
    [2 ** 48 - 1, 'ffffffff-ffff'],
  ])('carries the clock (%s ms) in its first 48 bits', (ms, prefix) => {
    vi.useFakeTimers({ now: ms })
    expect(uuidv7().slice(0, 13)).toBe(prefix)
    expect(Number.parseInt(uuidv7().replace('-', '').slice(0, 12), 16)).toBe(ms)
  })

  it('sorts in time order across milliseconds, so the primary key grows at its right edge', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
    const ids: string[] = []
    for (let i = 0; i < 50; i++) {
      ids.push(uuidv7())
      vi.advanceTimersByTime(1)
    }
    expect([...ids].sort()).toEqual(ids)
  })

  it('stays unique past the random pool refill (1024 ids per pool)', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
    const ids = new Set(Array.from({ length: 5000 }, () => uuidv7()))
    expect(ids.size).toBe(5000)
  })
})
