import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { mergeExecutions, testIdentity, testLabel, type MergedResult } from './merge'
import type { ParsedResult } from './types'

/*
 * An upload's results between the parse and the store. Held as objects, the results of a 50 MB JUnit report took
 * ~250 MB of the request thread from the parse until the transaction was done (350k results, each with its own
 * strings and lists). Packed, a batch is its results as deflated JSON (their 176 MB of JSON deflates to 9 MB:
 * results repeat their suites, files and field names) with each result's identity beside it in the clear, so the fold
 * across the whole upload (duplicates, retries, shards) needs only the identities, and the store unpacks one
 * slice at a time.
 */

/** A batch of results as the parse worker hands it over. */
export interface PackedBatch {
  /** The identity hash (testIdentity) of each packed result, in order. */
  identities: string[]
  /** The batch's named results as deflated JSON. */
  packed: Uint8Array
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

/** Packs a batch of parsed results (in the parse worker). */
export function packBatch(results: ParsedResult[]): PackedBatch {
  const named: ParsedResult[] = []
  const identities: string[] = []
  const nameless: string[][] = []
  for (const r of results) {
    if (!r.title.trim()) {
      nameless.push(r.suitePath)
      continue
    }
    named.push(r)
    identities.push(testIdentity(r))
  }
  // level 1: the repetition is what makes a batch small, and a higher level costs the parse time for a few percent
  return { identities, packed: deflateRawSync(JSON.stringify(named), { level: 1 }), nameless }
}

/** The results of a packed batch, as fresh objects. */
export function unpackBatch(batch: PackedBatch): ParsedResult[] {
  return batch.identities.length ? JSON.parse(inflateRawSync(batch.packed).toString('utf8')) as ParsedResult[] : []
}

/** An upload folded by identity: what the receipt says about it, and its merged results a slice at a time. */
export interface FoldedUpload {
  rejected: RejectedItem[]
  /** Tests that occur more than once in the upload, in order of first occurrence. */
  duplicates: { test: string, occurrences: number }[]
  /** The merged results, one per identity in order of first occurrence, in slices of at least `size` (the last may be smaller). */
  slices: (size: number) => Generator<MergedResult[]>
}

/**
 * Folds the results of the new files of an upload by identity: duplicates (in one file or across files) become
 * attempts of one result (mergeExecutions), nameless tests are rejected. Only the identities are read up front,
 * and only a batch that repeats an identity is unpacked to keep its repeats; each result is otherwise unpacked
 * once, when its slice is made.
 */
export function foldUpload(files: UploadFile[]): FoldedUpload {
  const first = new Map<string, number>()
  // the second and later executions of a repeated identity (rare: shards of one test, a reporter's reruns)
  const repeats = new Map<string, ParsedResult[]>()
  const rejected: RejectedItem[] = []
  let slot = 0
  for (const file of files) {
    for (const batch of file.batches) {
      for (const suitePath of batch.nameless) {
        rejected.push({
          item: `${file.name}: a test in ${suitePath.join(' › ') || 'the root suite'}`,
          reason: 'it has no name, so it cannot be tracked across runs',
        })
      }
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
        const list = repeats.get(id)
        if (list) list.push(results[i]!)
        else repeats.set(id, [results[i]!])
      }
    }
  }
  const duplicates = [...repeats].sort(([a], [b]) => first.get(a)! - first.get(b)!)
    .map(([, later]) => ({ test: testLabel(later[0]!), occurrences: later.length + 1 }))

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
            ? { identityHash, result: mergeExecutions([results[i]!, ...later]), occurrences: later.length + 1 }
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
