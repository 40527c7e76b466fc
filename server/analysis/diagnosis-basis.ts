/**
 * What evidence a diagnosis was based on, and whether it has changed materially since: a new version is made for a
 * label change of a test it reads, a new affected test, a new branch, a new error variant, a regression or a new
 * fingerprint — never for "the same failure once more" (occurrence counts and scores move every run). Pure.
 */
import { createHash } from 'node:crypto'
import { errorVariant } from './context'

/** More variants than this: the message carries something the fingerprint masks but we do not; stop counting them. */
export const MAX_VARIANTS = 50
/** More branches than this: every feature branch hits it; a new one is no longer news. */
export const MAX_BRANCHES = 100
/** The tests whose labels a diagnosis reads (the context's affected tests, most occurrences first). */
export const TRACKED_TESTS = 20
/** Said as the change when the previous version's basis predates labels, branches and regressions. */
export const OLDER_BASIS = 'first version that follows test labels, branches and regressions'

export interface EvidenceBasis {
  /** Distinct test cases with a result in the cluster. */
  tests: number
  /** Short hashes of the error variants seen. */
  variants: string[]
  /** Too many variants to track: only new tests count as new evidence. */
  saturated: boolean
  /** Label (flaky, broken, stable, new) of each tracked test, by test case id. Absent in bases of older releases. */
  labels?: Record<string, string>
  /** Branches the cluster failed on, sorted (at most MAX_BRANCHES). */
  branches?: string[]
  /** When the cluster last turned `regressed` (failed again after it was resolved), while it is. */
  regressedAt?: string | null
  fingerprint?: string
}

/** The material facts about a cluster now, besides its error messages. */
export interface ClusterFacts {
  tests: number
  /** The tracked tests, most occurrences first: id, name (for the "changed" line) and label. */
  tracked: { id: string, test: string, label: string }[]
  branches: string[]
  regressedAt: string | null
  fingerprint: string
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12)

/** The basis of the current evidence: the cluster's facts and the variants of recent messages. */
export function basisOf(messages: (string | null)[], facts: ClusterFacts): EvidenceBasis {
  const variants = [...new Set(messages.map(m => hash(errorVariant(m))))].sort()
  return {
    tests: facts.tests, variants: variants.slice(0, MAX_VARIANTS), saturated: variants.length > MAX_VARIANTS,
    labels: Object.fromEntries(facts.tracked.slice(0, TRACKED_TESTS).map(t => [t.id, t.label])),
    branches: [...new Set(facts.branches)].sort().slice(0, MAX_BRANCHES),
    regressedAt: facts.regressedAt, fingerprint: facts.fingerprint,
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** "a, b and 2 more" */
function few(items: string[], max = 3): string {
  const shown = items.slice(0, max).join(', ')
  return items.length > max ? `${shown} and ${items.length - max} more` : shown
}

function labelChanges(previous: Record<string, string>, current: Record<string, string>, names: Map<string, string>): string[] {
  const changed = Object.entries(current).filter(([id, label]) => previous[id] != null && previous[id] !== label)
  if (!changed.length) return []
  // by name, so the same changes always read the same
  const said = changed.map(([id, label]) => ({ name: names.get(id) ?? id, label, was: previous[id] }))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(c => `"${c.name}" turned ${c.label} (was ${c.was})`)
  return changed.length > 3 ? [`${few(said, 2)} label changes`] : said
}

/**
 * What changed materially from `previous` to `current`, one short phrase each (empty: nothing new). `names` gives
 * the tests' names for the phrases.
 */
export function newEvidence(previous: EvidenceBasis, current: EvidenceBasis, names = new Map<string, string>()): string[] {
  if (!previous.labels && current.labels) return [OLDER_BASIS]
  const reasons: string[] = []
  reasons.push(...labelChanges(previous.labels ?? {}, current.labels ?? {}, names))
  if (current.tests > previous.tests) reasons.push(`${plural(current.tests - previous.tests, 'new affected test')}`)
  const knownBranches = new Set(previous.branches ?? [])
  const branches = (current.branches ?? []).filter(b => !knownBranches.has(b))
  if (branches.length && knownBranches.size < MAX_BRANCHES) reasons.push(`new ${branches.length === 1 ? 'branch' : 'branches'} ${few(branches)}`)
  if (!previous.saturated && !current.saturated) {
    const known = new Set(previous.variants)
    const fresh = current.variants.filter(v => !known.has(v))
    if (fresh.length) reasons.push(plural(fresh.length, 'new error variant'))
  }
  if (current.regressedAt && current.regressedAt !== previous.regressedAt) reasons.push('regressed: it failed again after it was resolved')
  if (previous.fingerprint && current.fingerprint && previous.fingerprint !== current.fingerprint) {
    reasons.push('re-clustered by a newer fingerprint algorithm')
  }
  return reasons
}

/**
 * The basis after a version is stored (or a check found nothing new): the union, so a variant that dropped out of
 * the recent window stays known, and a test that left the tracked ones keeps the label it was last seen with.
 */
export function mergeBasis(previous: EvidenceBasis | null, current: EvidenceBasis): EvidenceBasis {
  if (!previous) return current
  const variants = [...new Set([...previous.variants, ...current.variants])].sort()
  const labels = Object.entries({ ...previous.labels, ...current.labels })
  const branches = [...new Set([...previous.branches ?? [], ...current.branches ?? []])].sort()
  return {
    tests: Math.max(previous.tests, current.tests),
    variants: variants.slice(0, MAX_VARIANTS),
    saturated: previous.saturated || current.saturated || variants.length > MAX_VARIANTS,
    // the current tests first, then the ones remembered, within a bound
    labels: Object.fromEntries([...labels.filter(([id]) => current.labels?.[id]), ...labels.filter(([id]) => !current.labels?.[id])]
      .slice(0, 3 * TRACKED_TESTS)),
    branches: branches.slice(0, MAX_BRANCHES),
    regressedAt: current.regressedAt ?? null,
    fingerprint: current.fingerprint ?? previous.fingerprint,
  }
}

/** The basis as stored with a diagnosis version. */
export interface StoredBasis extends EvidenceBasis {
  diagnosisId: string
  /**
   * A digest of what the evidence can change with (counters, fingerprint, status, branches, labels of the tracked
   * tests) at the last check: the same digest means nothing new, without reading any result. Absent in older bases.
   */
  checked?: string
  /** What changed since the previous version, one phrase each (empty for the first). */
  changes?: string[]
  /** Older releases' cheap check. */
  checkedOccurrences?: number
  checkedAffectedTests?: number
}
