/**
 * What evidence a diagnosis was based on, and whether anything new has arrived since: a diagnosis is recomputed
 * only for a new error variant or a new affected test, never for "the same failure once more". Pure.
 */
import { createHash } from 'node:crypto'
import { errorVariant } from './context'

/** More variants than this: the message carries something the fingerprint masks but we do not; stop counting them. */
export const MAX_VARIANTS = 50

export interface EvidenceBasis {
  /** Distinct test cases with a result in the cluster. */
  tests: number
  /** Short hashes of the error variants seen. */
  variants: string[]
  /** Too many variants to track: only new tests count as new evidence. */
  saturated: boolean
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12)

/** The basis of the current evidence: distinct affected tests and the variants of recent messages. */
export function basisOf(messages: (string | null)[], tests: number): EvidenceBasis {
  const variants = [...new Set(messages.map(m => hash(errorVariant(m))))].sort()
  return { tests, variants: variants.slice(0, MAX_VARIANTS), saturated: variants.length > MAX_VARIANTS }
}

/** Why `current` holds evidence that `previous` did not (empty: nothing new). */
export function newEvidence(previous: EvidenceBasis, current: EvidenceBasis): string[] {
  const reasons: string[] = []
  if (current.tests > previous.tests) reasons.push(`${current.tests - previous.tests} new affected test${current.tests - previous.tests > 1 ? 's' : ''}`)
  if (!previous.saturated && !current.saturated) {
    const known = new Set(previous.variants)
    const fresh = current.variants.filter(v => !known.has(v))
    if (fresh.length) reasons.push(`${fresh.length} new error variant${fresh.length > 1 ? 's' : ''}`)
  }
  return reasons
}

/** The basis after a version is stored: the union, so a variant that dropped out of the recent window stays known. */
export function mergeBasis(previous: EvidenceBasis | null, current: EvidenceBasis): EvidenceBasis {
  if (!previous) return current
  const variants = [...new Set([...previous.variants, ...current.variants])].sort()
  return {
    tests: Math.max(previous.tests, current.tests),
    variants: variants.slice(0, MAX_VARIANTS),
    saturated: previous.saturated || current.saturated || variants.length > MAX_VARIANTS,
  }
}

/** The basis as stored with a diagnosis version. */
export interface StoredBasis extends EvidenceBasis {
  diagnosisId: string
  /** Cluster counters at the last check: unchanged counters mean nothing new without reading any result. */
  checkedOccurrences: number
  checkedAffectedTests: number
}
