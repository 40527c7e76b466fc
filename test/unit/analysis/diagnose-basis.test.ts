import { describe, expect, it } from 'vitest'
import { basisOf, MAX_VARIANTS, mergeBasis, newEvidence } from '../../../server/analysis/diagnosis-basis'

describe('evidence basis', () => {
  const first = basisOf(['expected: <19.00> but was: <19.60>', 'expected: <19.00> but was: <19.60>'], 2)

  it('the same failure again, with other numbers, is not new evidence', () => {
    expect(newEvidence(first, basisOf(['expected: <19.00> but was: <19.60>'], 2))).toEqual([])
    const ports = basisOf(['Error: connect ECONNREFUSED 127.0.0.1:5432'], 1)
    expect(newEvidence(ports, basisOf(['Error: connect ECONNREFUSED 127.0.0.1:5433'], 1))).toEqual([])
  })

  it('a new affected test or a new error variant is', () => {
    expect(newEvidence(first, basisOf(['expected: <19.00> but was: <19.60>'], 3))).toEqual(['1 new affected test'])
    expect(newEvidence(first, basisOf(['expected: <PAID> but was: <PENDING>'], 2))).toEqual(['1 new error variant'])
  })

  it('stops counting variants once there are too many to mean anything', () => {
    const many = basisOf(Array.from({ length: MAX_VARIANTS + 5 }, (_, i) => `failure number ${'x'.repeat(i)}`), 1)
    expect(many.saturated).toBe(true)
    expect(newEvidence(many, basisOf(['something else entirely'], 1))).toEqual([])
    expect(newEvidence(many, basisOf(['something else entirely'], 2))).toEqual(['1 new affected test'])
  })

  it('merging keeps variants that left the recent window', () => {
    const merged = mergeBasis(first, basisOf(['expected: <PAID> but was: <PENDING>'], 1))
    expect(merged.tests).toBe(2)
    expect(merged.variants).toHaveLength(2)
    expect(newEvidence(merged, basisOf(['expected: <19.00> but was: <19.60>'], 2))).toEqual([])
  })
})
