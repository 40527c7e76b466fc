import { createHash, hash, randomBytes } from 'node:crypto'
import type { RunStatus, TestStatus } from '#shared/constants'
import type { RunCounts } from '#shared/types/ingest'
import { testFullName } from '#shared/test-names'
import type { ParsedAttempt, ParsedResult } from './types'

/**
 * The merge rules of an upload, pure: who a test is (identity), how repeated executions of one test fold into one
 * result with attempts, and the value clamps the database needs. No database, no HTTP: the ingest service calls
 * these inside its transaction.
 */

/** A test's outcome in this upload after duplicates were folded into attempts. */
export interface MergedResult {
  identityHash: string
  result: ParsedResult
  occurrences: number
  /** The id of the result this run already stores for the test, which the merged one replaces under the same id. */
  keepId?: string
}

/** Statuses that count as a failure (for clusters, counters and flakiness). */
export const FAILING: ReadonlySet<TestStatus> = new Set(['failed', 'errored'])

/**
 * How a result joins a failure cluster: `failure` when its final status fails, `retry` when it passed after failed
 * attempts (the flake's cause is a cluster too), null when it has no failure to cluster. Either way the error that
 * decides the cluster is the result's own error, which parsers and mergeExecutions take from the last failed
 * attempt: for a failure that is the final error, for a retry pass the failure the last retry got past (the
 * freshest sign of the cause, and the one re-clustering reads back from the stored result).
 */
export function clusterRole(r: Pick<ParsedResult, 'status' | 'flaky' | 'errorMessage' | 'errorStack'>): 'failure' | 'retry' | null {
  if (!r.errorMessage && !r.errorStack) return null
  if (FAILING.has(r.status)) return 'failure'
  return r.status === 'passed' && r.flaky ? 'retry' : null
}

const INT4_MAX = 2_147_483_647

/** An int4 column value, or null for anything that is not one (hostile reports write `time="1e12"`). */
export const int4 = (n: number | null | undefined): number | null =>
  n == null || !Number.isFinite(n) || Math.abs(n) > INT4_MAX ? null : Math.round(n)

/** Hex SHA-256: content hashes of uploaded files and the identity of a test. */
export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex')

// Random hex digits drawn 16 KiB of bytes at a time: one syscall per two thousand ids instead of one per id.
let pool = ''
let drawn = 0
/** The variant's hex digit (10xx) for a random one. */
const VARIANT = '89ab89ab89ab89ab'
let lastMs = -1
let timeHex = ''

/**
 * Time-ordered UUID (v7): result ids arrive in insert order, so the primary-key index grows at its right edge. Cut from
 * a pool of random hex digits (a Buffer per id and its hex took ~100 ms of a 50,000-result upload's request thread).
 */
export function uuidv7(): string {
  if (drawn + 19 > pool.length) {
    pool = randomBytes(16 * 1024).toString('hex')
    drawn = 0
  }
  const ms = Date.now()
  if (ms !== lastMs) {
    const hex = ms.toString(16).padStart(12, '0')
    timeHex = `${hex.slice(0, 8)}-${hex.slice(8)}-7`
    lastMs = ms
  }
  const i = drawn
  drawn += 19
  return `${timeHex}${pool.slice(i, i + 3)}-${VARIANT[Number.parseInt(pool[i + 3]!, 16)]}${pool.slice(i + 4, i + 7)}-${pool.slice(i + 7, i + 19)}`
}

/** The stable identity of a test: project-relative hash of file + suite path + title + variant (+ a cut title's whole-name hash). */
export function testIdentity(r: Pick<ParsedResult, 'file' | 'suitePath' | 'title' | 'titleHash' | 'variant'>): string {
  const key = [r.file ?? '', r.suitePath, r.title, r.variant ?? '']
  // only a cut title adds its hash: every other identity stays what it was
  if (r.titleHash) key.push(r.titleHash)
  // the first 16 bytes as hex; the one-shot hash() makes no Hash object per result (2-4x faster than createHash over
  // 10,000 identities), and its hex digest no Buffer (50,000 identities: 35–71 ms, against 141–235 through a Buffer each). The slice
  // keeps the 64-character digest alive while the parse worker holds it; the request thread gets its own copy.
  return hash('sha256', JSON.stringify(key), 'hex').slice(0, 32)
}

/** Human name of a test for receipts: "suite › title [variant]", suites and title as shown (testFullName). */
export function testLabel(r: Pick<ParsedResult, 'suitePath' | 'title' | 'variant'>): string {
  return testFullName(r) + (r.variant ? ` [${r.variant}]` : '')
}

/**
 * Folds several executions of one test (duplicate identities in an upload, or the same test in two shards) into
 * one result: attempts in order, the final status is the last non-skipped execution's, and a pass after a failure
 * is a flaky pass. Executions of different `repeat`s are not retries of each other (a repeatEach run, a project the
 * report does not name): each is folded on its own and a failure of any of them fails the result, never a flaky pass.
 */
export function mergeExecutions(executions: ParsedResult[]): ParsedResult {
  if (executions.length === 1) return executions[0]!
  const merged = foldRetries(executions)
  const repeats = new Map<number, ParsedResult[]>()
  for (const e of executions) {
    const list = repeats.get(e.repeat ?? 0)
    if (list) list.push(e)
    else repeats.set(e.repeat ?? 0, [e])
  }
  if (repeats.size === 1) return merged
  const failed = [...repeats.values()].map(foldRetries).findLast(r => FAILING.has(r.status))
  if (!failed) return merged
  return { ...merged, status: failed.status, flaky: false, errorMessage: failed.errorMessage, errorStack: failed.errorStack }
}

/** Repetitions one group may number (Playwright's repeatEach, a suite written twice) before the next group's begin. */
const GROUP_REPEATS = 1_000_000

/**
 * Groups of executions of one test that are repetitions of each other (matrix legs of one CI attempt, one test in two
 * files of an upload) folded into one result: each group's own executions as mergeExecutions folds them, and a failure
 * of any group fails the result. The result begins in the first group's repetition, as a later shard reads it.
 */
export function mergeRepetitions(groups: ParsedResult[][]): ParsedResult {
  const numbered = groups.flatMap((group, g) => group.map(r => ({ ...r, repeat: g * GROUP_REPEATS + (r.repeat ?? 0) })))
  return { ...mergeExecutions(numbered), repeat: groups[0]![0]!.repeat }
}

/** Executions that are tries of one another folded into one result (see mergeExecutions). */
function foldRetries(executions: ParsedResult[]): ParsedResult {
  if (executions.length === 1) return executions[0]!
  const attempts: ParsedAttempt[] = executions.flatMap(e => e.attempts)
  // an execution's own status, not its last attempt's: one folded across repetitions may have failed before its last try
  const status = ([...executions].reverse().find(e => e.status !== 'skipped') ?? executions[executions.length - 1]!).status
  const failedOnce = attempts.some(a => FAILING.has(a.status))
  const lastFailure = [...executions].reverse().find(e => e.errorMessage || e.errorStack)
  return {
    ...executions[executions.length - 1]!,
    // the repetition the folded tries began in: a later shard of the run folds against it (run-results.ts)
    repeat: executions[0]!.repeat,
    status,
    flaky: status === 'passed' && (failedOnce || executions.some(e => e.flaky)),
    durationMs: attempts.reduce<number | null>((sum, a) => a.durationMs == null ? sum : (sum ?? 0) + a.durationMs, null),
    attempts,
    errorMessage: lastFailure?.errorMessage ?? null,
    errorStack: lastFailure?.errorStack ?? null,
    stdout: executions.map(e => e.stdout).filter(Boolean).join('\n') || null,
    stderr: executions.map(e => e.stderr).filter(Boolean).join('\n') || null,
    // every execution's files: a rerun's screenshot is evidence too
    attachments: executions.flatMap(e => e.attachments),
  }
}

/** A run's status from its stored counts and its run-level errors (a crashed setup fails the run). */
export function runStatusOf(c: RunCounts, errors: number): RunStatus {
  if (c.failed + c.errored > 0 || errors > 0) return 'failed'
  return c.tests === 0 ? 'empty' : 'passed'
}
