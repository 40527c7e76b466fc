import { describe, expect, it } from 'vitest'
import { junitStartHint, parseReport } from '../../../server/ingest'
import { BatchFeed, foldUpload, MIN_STREAMED_SLICE, NotStreamable, packBatch, streamSlices, type PackedBatch } from '../../../server/ingest/packed'
import type { ParsedResult } from '../../../server/ingest/types'
import { corpusText, expected } from './helpers'

/*
 * An upload of one JUnit file is stored while its parse still reads it (server/services/upload-plan.ts): the run's
 * start is read off the file's head before the parse, and its results are sliced as their batches come. Both must
 * come out as the whole parse would have them, or say they cannot.
 */

const suite = (attrs: string, body = '<testcase name="a"/>') => `<testsuite name="s" ${attrs}>${body}</testsuite>`

describe('junitStartHint: the start the parse will give, off the head of the file', () => {
  it.each([
    ['a <testsuite> root with a timestamp', `<?xml version="1.0"?>\n${suite('timestamp="2026-11-20T10:00:00Z"')}`, '2026-11-20T10:00:00.000Z'],
    ['a <testsuite> root without one (its suites are not read)', `<testsuite name="r">${suite('timestamp="2026-11-20T10:00:00Z"')}</testsuite>`, null],
    ['a <testsuites> root with its own', `<testsuites timestamp="2026-11-20T09:00:00Z">${suite('timestamp="2026-11-20T10:00:00Z"')}</testsuites>`, '2026-11-20T09:00:00.000Z'],
    ['a <testsuites> root without: its first suite\'s', `<testsuites>${suite('timestamp="2026-11-20T10:00:00Z"')}</testsuites>`, '2026-11-20T10:00:00.000Z'],
    ['the first suite that says one', `<testsuites>${suite('')}${suite('timestamp=\'2026-11-20T11:00:00Z\'')}</testsuites>`, '2026-11-20T11:00:00.000Z'],
    ['no timestamp anywhere', `<testsuites>${suite('')}${suite('time="1"')}</testsuites>`, null],
    ['a prolog, comments and a BOM first', `\uFEFF<?xml version="1.0"?>\n<!-- by gotestsum -->\n<testsuites>${suite('timestamp="2026-11-20T10:00:00Z"')}</testsuites>`, '2026-11-20T10:00:00.000Z'],
    ['a local time, read as the parse reads it', suite('timestamp="2026-11-20T10:00:00"'), parseReport(suite('timestamp="2026-11-20T10:00:00"')).startedAt],
    ['a JSON report', '{"suites": []}', undefined],
    ['another XML root', '<suites><suite/></suites>', undefined],
    ['a timestamp with an entity (left to the parse)', suite('timestamp="2026-11-20T10:00:00&#90;"'), null],
  ])('%s', (_, text, hint) => {
    expect(junitStartHint(text)).toBe(hint)
    if (hint !== undefined && !text.includes('&#')) expect(parseReport(text).startedAt).toBe(hint)
  })

  it('agrees with the parse on every JUnit file of the corpus it reads a start off', () => {
    const files = expected.filter(e => e.format === 'junit' && !e.malformed)
    const read = files.map((e) => {
      const text = corpusText(e.file)
      return { file: e.file, hint: junitStartHint(text), parsed: parseReport(text).startedAt }
    })
    expect(read.filter(r => r.hint !== undefined && r.hint !== r.parsed)).toEqual([])
    expect(read.filter(r => r.hint !== undefined).length).toBe(files.length)
  })
})

/** A test per name, in batches of `per` as the parse worker packs them. */
function batchesOf(names: string[], per: number): PackedBatch[] {
  const results = parseReport(`<testsuite name="s">${names.map(n => `<testcase classname="c" name="${n}"/>`).join('')}</testsuite>`).results
  const out: PackedBatch[] = []
  for (let i = 0; i < results.length; i += per) out.push(packBatch(results.slice(i, i + per), i % 2 === 0))
  return out
}

/** The batches handed over a few at a time, after waits, as the worker's messages come. */
function fed(batches: PackedBatch[], end: 'end' | 'fail' = 'end'): { feed: BatchFeed, onWait: () => void, waited: () => number } {
  const feed = new BatchFeed()
  let at = 0
  const next = () => {
    if (at >= batches.length) return end === 'end' ? feed.end() : feed.fail()
    feed.push(batches.slice(at, at + 3))
    at += 3
    setTimeout(next, 1)
  }
  setTimeout(next, 1)
  let waits = 0
  return { feed, onWait: () => waits++, waited: () => waits }
}

async function collect(slices: AsyncIterable<{ identityHash: string, result: ParsedResult }[]>) {
  const out: { identityHash: string, result: ParsedResult }[][] = []
  for await (const s of slices) out.push(s)
  return out
}

describe('streamSlices: a file\'s results sliced as they come, each test once and in order, as foldUpload has them', () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`)
  const stream = (feed: BatchFeed, onWait: () => void, size: number) => streamSlices(feed.batches(onWait), () => feed.ready(), size)

  it.each([
    ['fewer tests than a slice', 7, 2, 5000],
    ['more than a slice', 4000, 100, 1500],
    ['slices that end past a batch end', 4300, 70, 1000],
    ['a parse ahead of the store: full slices', 6000, 100, 2000, 'ahead'],
  ])('%s', async (_, n, per, size, pace?) => {
    const batches = batchesOf(names(n), per)
    const whole = [...foldUpload([{ name: 'a.xml', batches }]).slices(size)]
    let streamed: { identityHash: string, result: ParsedResult }[][]
    if (pace === 'ahead') {
      const feed = new BatchFeed()
      feed.push(batches)
      feed.end()
      streamed = await collect(stream(feed, () => {}, size))
      // every batch was there to read: the slices are foldUpload's
      expect(streamed).toEqual(whole)
    }
    else {
      const { feed, onWait, waited } = fed(batches)
      streamed = await collect(stream(feed, onWait, size))
      // each wait for the parse is told (the upload's `parse` step)
      expect(waited()).toBeGreaterThanOrEqual(Math.ceil(batches.length / 3))
    }
    expect(streamed.flat()).toEqual(whole.flat())
    // a slice is stored early only when the parse is behind, and never holds fewer than MIN_STREAMED_SLICE but the last
    for (const slice of streamed.slice(0, -1)) expect(slice.length).toBeGreaterThanOrEqual(Math.min(size, MIN_STREAMED_SLICE))
    for (const slice of streamed) expect(slice.length).toBeLessThan(size + per)
  })

  it('stores what the parse has read while it reads on', async () => {
    const { feed, onWait } = fed(batchesOf(names(3000), 100))
    const streamed = await collect(stream(feed, onWait, 10_000))
    expect(streamed.length).toBeGreaterThan(1)
    expect(streamed.flat()).toHaveLength(3000)
  })

  it('says it cannot when a test comes again, even in a later batch than its first', async () => {
    const batches = batchesOf(['a', 'b', 'c', 'd', 'b'], 2)
    await expect(collect(stream(fed(batches).feed, () => {}, 2))).rejects.toBeInstanceOf(NotStreamable)
  })

  it('says it cannot when the parse fails, after the slices it could make', async () => {
    const batches = batchesOf(names(2500), 100)
    const slices: unknown[] = []
    const read = async () => {
      for await (const s of stream(fed(batches, 'fail').feed, () => {}, 1000)) slices.push(s)
    }
    await expect(read()).rejects.toBeInstanceOf(NotStreamable)
    expect(slices.length).toBeGreaterThan(0)
  })

  it('ends at once on an empty file', async () => {
    const feed = new BatchFeed()
    feed.end()
    expect(await collect(stream(feed, () => {}, 10))).toEqual([])
  })
})
