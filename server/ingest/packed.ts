import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { mergeExecutions, mergeRepetitions, testIdentity, testLabel, type MergedResult } from './merge'
import { attempt } from './common'
import type { ParsedAttempt, ParsedResult } from './types'

/*
 * An upload's results between the parse and the store. Held as objects, the results of a 50 MB JUnit report took
 * ~250 MB of the request thread from the parse until the transaction was done (350k results, each with its own
 * strings and lists). Packed, a batch is its results as deflated JSON (their 176 MB of JSON, 59 MB without the
 * fields they hold empty (toWire), deflates to 6 MB: results repeat their suites, files and field names) with each
 * result's identity beside it in the clear, so the fold across the whole upload (duplicates, retries, shards) needs
 * only the identities, and the store unpacks one slice at a time. A small upload's batches stay plain JSON: for
 * 10,000 results deflating took 20 ms of the parse and inflating 6 ms of the store, to save 4.7 MB held for the
 * upload's length (server/utils/parser.ts decides).
 */

/** A batch of results as the parse worker hands it over. */
export interface PackedBatch {
  /** The identity hash (testIdentity) of each packed result, in order. */
  identities: string[]
  /** The batch's named results as JSON, deflated or not. */
  packed: Uint8Array
  deflated: boolean
  /** Where each nameless result of the batch was (its suite path): they are rejected, not packed. */
  nameless: string[][]
}

/** A result excluded from the upload, with the reason shown on the receipt. */
interface RejectedItem {
  item: string
  reason: string
}

/** The part of a parsed file the fold reads. */
export interface UploadFile {
  name: string
  batches: PackedBatch[]
}

/** The fields a batch leaves out of a result when they hold their empty value (see toWire). */
type EmptyFields = Pick<ParsedResult, 'file' | 'line' | 'variant' | 'flaky' | 'durationMs' | 'errorMessage' | 'errorStack' | 'stdout' | 'stderr'
  | 'steps' | 'annotations' | 'attachments' | 'tags' | 'properties'>

/** Each of EmptyFields at its empty value. */
const EMPTY: Readonly<Record<string, unknown>> = {
  file: null, line: null, variant: null, flaky: false, durationMs: null, errorMessage: null, errorStack: null, stdout: null, stderr: null,
  steps: [], annotations: [], attachments: [], tags: [], properties: {},
} satisfies EmptyFields

/** Whether a result's field holds its empty value (a list or object with nothing in it counts). */
function isEmpty(key: string, value: unknown): boolean {
  if (!(key in EMPTY)) return false
  if (value === null || value === false) return value === EMPTY[key]
  if (Array.isArray(value)) return value.length === 0
  if (key !== 'properties') return false
  for (const _ in value as object) return false
  return true
}

/** The one try a result is when its report gives it none of its own (JUnit's, mostly): the result itself. */
const onlyTry = (r: Pick<ParsedResult, 'status' | 'durationMs' | 'stdout' | 'stderr' | 'errorMessage' | 'errorStack'>): ParsedAttempt =>
  attempt(r.status, r)

function isOnlyTry(r: ParsedResult): boolean {
  const [a, more] = r.attempts
  return !!a && !more && a.status === r.status && a.durationMs === r.durationMs && a.errorMessage === r.errorMessage
    && a.errorStack === r.errorStack && a.startedAt === null && a.stdout === r.stdout && a.stderr === r.stderr
}

/**
 * A result as a batch carries it: EmptyFields left out where empty, and `attempts` when it is the result's only try
 * (onlyTry). A passed JUnit result's JSON went from ~420 characters to ~120 (BENCHMARKS.md, fourteenth look, has
 * what packing and unpacking the bench's 50,000-result report took before and after).
 */
function toWire(r: ParsedResult): Partial<ParsedResult> {
  const wire: Record<string, unknown> = {}
  for (const key in r) {
    const value = r[key as keyof ParsedResult]
    if (value === undefined || isEmpty(key, value) || (key === 'attempts' && isOnlyTry(r))) continue
    wire[key] = value
  }
  return wire
}

/** The keys of T's optional fields. */
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T]
/** ParsedResult's optional fields, which fromWire copies when a result has them (a new one must be added here). */
const OPTIONAL = Object.keys({ titleHash: 0, repeat: 0 } satisfies Record<OptionalKeys<ParsedResult>, 0>) as OptionalKeys<ParsedResult>[]

/**
 * A result back from toWire, written out field by field: every result gets the same shape, where spreading the empty
 * fields under the wire's left V8 objects it read 10x slower (unpacking 50,000 results took ~1 s instead of 0.12–0.18).
 */
function fromWire(w: Partial<ParsedResult>): ParsedResult {
  const tried = {
    status: w.status!, durationMs: w.durationMs ?? null, stdout: w.stdout ?? null, stderr: w.stderr ?? null,
    errorMessage: w.errorMessage ?? null, errorStack: w.errorStack ?? null,
  }
  const r: ParsedResult = {
    file: w.file ?? null, line: w.line ?? null, suitePath: w.suitePath!, title: w.title!, variant: w.variant ?? null, status: tried.status,
    flaky: w.flaky ?? false, durationMs: tried.durationMs, attempts: w.attempts ?? [onlyTry(tried)], errorMessage: tried.errorMessage,
    errorStack: tried.errorStack, stdout: tried.stdout, stderr: tried.stderr, steps: w.steps ?? [], annotations: w.annotations ?? [],
    attachments: w.attachments ?? [], tags: w.tags ?? [], properties: w.properties ?? {},
  }
  for (const key of OPTIONAL) if (w[key] !== undefined) Object.assign(r, { [key]: w[key] })
  return r
}

/** Packs a batch of parsed results (in the parse worker), its JSON deflated unless `deflate` is false. */
export function packBatch(results: ParsedResult[], deflate = true): PackedBatch {
  const named: Partial<ParsedResult>[] = []
  const identities: string[] = []
  const nameless: string[][] = []
  for (const r of results) {
    if (!r.title.trim()) {
      nameless.push(r.suitePath)
      continue
    }
    named.push(toWire(r))
    identities.push(testIdentity(r))
  }
  const json = JSON.stringify(named)
  // level 1: the repetition is what makes a batch small, and a higher level costs the parse time for a few percent
  const packed = deflate ? deflateRawSync(json, { level: 1 }) : encoder.encode(json)
  return { identities, packed, deflated: deflate, nameless }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The results of a packed batch, as fresh objects. */
export function unpackBatch(batch: PackedBatch): ParsedResult[] {
  if (!batch.identities.length) return []
  const wire = JSON.parse(decoder.decode(batch.deflated ? inflateRawSync(batch.packed) : batch.packed)) as Partial<ParsedResult>[]
  return wire.map(fromWire)
}

/** An upload folded by identity: what the receipt says about it, and its merged results a slice at a time. */
export interface FoldedUpload {
  rejected: RejectedItem[]
  /** Tests that occur more than once in the upload, in order of first occurrence. */
  duplicates: { test: string, occurrences: number }[]
  /** The merged results, one per identity in order of first occurrence, in slices of at least `size` (the last may be smaller). */
  slices: (size: number) => Generator<MergedResult[]>
}

/** The file of the upload's result at `slot`, from the slot of each file's first result. */
function fileAt(fileStarts: number[], slot: number): number {
  let f = fileStarts.length - 1
  while (f > 0 && fileStarts[f]! > slot) f--
  return f
}

/** A later execution of a test in the upload, and the file it came in. */
interface Later { file: number, result: ParsedResult }

/** One test's executions in several files folded: a file's own duplicates are retries of each other, another file's repetitions. */
function foldAcrossFiles(headFile: number, head: ParsedResult, later: Later[]): ParsedResult {
  const byFile = new Map<number, ParsedResult[]>([[headFile, [head]]])
  for (const l of later) (byFile.get(l.file) ?? byFile.set(l.file, []).get(l.file)!).push(l.result)
  return mergeRepetitions([...byFile.values()])
}

/** The receipt's item for a test without a name. */
const namelessItem = (file: string, suitePath: string[]): RejectedItem => ({
  item: `${file}: a test in ${suitePath.join(' › ') || 'the root suite'}`,
  reason: 'it has no name, so it cannot be tracked across runs',
})

/** The receipt's note on tests that came in more than one file of the upload (foldUpload). */
function inTwoFilesNote(n: number): RejectedItem {
  return {
    item: `${n.toLocaleString('en-US')} test${n === 1 ? '' : 's'} in more than one file of this upload`,
    reason: `the same suite and name came in two files (the same class in two modules?): ${n === 1 ? 'it is' : 'each is'} kept as one result that fails if any file's run failed, not as a retry. Give each module's reports a file attribute, or upload each module as a project or run of its own, to keep them apart.`,
  }
}

/**
 * Folds the results of the new files of an upload by identity: duplicates become attempts of one result
 * (mergeExecutions), nameless tests are rejected. Duplicates in one file are a reporter's retries; in two files they
 * are repetitions (the same class in two modules of a build, which JUnit reports without a file: a failure in either
 * fails the result, never a pass on retry), and the receipt counts them. Only the identities are read up front, and
 * only a batch that repeats an identity is unpacked to keep its repeats; each result is otherwise unpacked once, when
 * its slice is made.
 */
export function foldUpload(files: UploadFile[]): FoldedUpload {
  /** Each identity's first execution: its place in the upload (fileAt says which file that is). */
  const first = new Map<string, number>()
  /** The place of each file's first result: a number per identity, not an object (350k results in a large upload). */
  const fileStarts: number[] = []
  // the second and later executions of a repeated identity (rare: shards of one test, a reporter's reruns), with their file
  const repeats = new Map<string, Later[]>()
  const inTwoFiles = new Set<string>()
  const rejected: RejectedItem[] = []
  let slot = 0
  for (const [fileIndex, file] of files.entries()) {
    fileStarts.push(slot)
    for (const batch of file.batches) {
      rejected.push(...batch.nameless.map(suitePath => namelessItem(file.name, suitePath)))
      let repeated: number[] | null = null
      for (let i = 0; i < batch.identities.length; i++, slot++) {
        const id = batch.identities[i]!
        if (!first.has(id)) first.set(id, slot)
        else (repeated ??= []).push(i)
      }
      if (!repeated) continue
      const results = unpackBatch(batch)
      for (const i of repeated) {
        const id = batch.identities[i]!
        const list = repeats.get(id) ?? repeats.set(id, []).get(id)!
        list.push({ file: fileIndex, result: results[i]! })
        if (first.get(id)! < fileStarts[fileIndex]!) inTwoFiles.add(id)
      }
    }
  }
  const duplicates = [...repeats].sort(([a], [b]) => first.get(a)! - first.get(b)!)
    .map(([, later]) => ({ test: testLabel(later[0]!.result), occurrences: later.length + 1 }))
  if (inTwoFiles.size) rejected.push(inTwoFilesNote(inTwoFiles.size))
  const fold = (id: string, head: ParsedResult, later: Later[]) => inTwoFiles.has(id)
    ? foldAcrossFiles(fileAt(fileStarts, first.get(id)!), head, later)
    : mergeExecutions([head, ...later.map(l => l.result)])

  function* slices(size: number): Generator<MergedResult[]> {
    let slice: MergedResult[] = []
    let at = 0
    for (const file of files) {
      for (const batch of file.batches) {
        const results = unpackBatch(batch)
        for (let i = 0; i < results.length; i++, at++) {
          const identityHash = batch.identities[i]!
          if (first.get(identityHash) !== at) continue
          const later = repeats.get(identityHash)
          slice.push(later
            ? { identityHash, result: fold(identityHash, results[i]!, later), occurrences: later.length + 1 }
            : { identityHash, result: results[i]!, occurrences: 1 })
        }
        if (slice.length < size) continue
        yield slice
        slice = []
      }
    }
    if (slice.length) yield slice
  }
  return { rejected, duplicates, slices }
}

/** The streamed upload met what only the whole upload can say (a test that comes again, a failed parse): it is read whole. */
export class NotStreamable extends Error {}

/**
 * A file's packed batches as the parse worker hands them over, for storing while the file is still being read: `push`
 * as batches come, then `end` when the parse is done or `fail` when it failed. One reader.
 */
export class BatchFeed {
  private queued: PackedBatch[] = []
  private state: 'open' | 'ended' | 'failed' = 'open'
  private wake: (() => void) | null = null

  push = (batches: PackedBatch[]): void => {
    this.queued.push(...batches)
    this.wake?.()
  }

  /** A batch can be read without waiting for the parse (or the feed is over). */
  ready(): boolean {
    return this.queued.length > 0 || this.state !== 'open'
  }

  end(): void {
    this.state = 'ended'
    this.wake?.()
  }

  fail(): void {
    this.state = 'failed'
    this.wake?.()
  }

  /**
   * The batches in order. `onWait` is told when the first batch is there (or none will be) and after each wait for
   * one: the time until then was the parse's (the upload's `parse` step).
   */
  async* batches(onWait: () => void): AsyncGenerator<PackedBatch> {
    let told = false
    for (;;) {
      if (this.state === 'failed') throw new NotStreamable('the report could not be read')
      const next = this.queued.shift()
      if (next || this.state === 'ended') {
        if (!told) onWait()
        told = true
      }
      if (next) {
        yield next
        continue
      }
      if (this.state === 'ended') return
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
      this.wake = null
      if (told) onWait()
    }
  }
}

/** Results a streamed slice holds at least before it is stored while the parse is behind (the last may hold fewer). */
export const MIN_STREAMED_SLICE = 1000

/**
 * An upload's results in slices, while its files are still being read: a slice is stored once it holds `size` results,
 * or at least MIN_STREAMED_SLICE when the next batch is not read yet (`ready`), so that the store works on what the
 * parse has read while it reads on; each test is in one slice, in upload order, as foldUpload has them. Only an
 * upload where every test comes once is read so: a test that comes again (a reporter's retry, its first execution
 * maybe stored already) throws NotStreamable, and the upload is read whole instead.
 */
export async function* streamSlices(
  batches: AsyncIterable<PackedBatch>, ready: () => boolean, size: number,
): AsyncGenerator<MergedResult[]> {
  const seen = new Set<string>()
  let slice: MergedResult[] = []
  for await (const batch of batches) {
    for (const id of batch.identities) {
      if (seen.has(id)) throw new NotStreamable('a test comes more than once in the upload')
      seen.add(id)
    }
    const results = unpackBatch(batch)
    for (let i = 0; i < results.length; i++) slice.push({ identityHash: batch.identities[i]!, result: results[i]!, occurrences: 1 })
    if (slice.length < size && (slice.length < MIN_STREAMED_SLICE || ready())) continue
    yield slice
    slice = []
  }
  if (slice.length) yield slice
}
