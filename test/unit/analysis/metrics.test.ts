import { describe, expect, it } from 'vitest'
import { binaryScores, clusterQuality, worstClusters } from '../../../server/analysis/metrics'

const items = (pairs: string) => pairs.split(' ').map((p) => {
  const [truth, predicted] = p.split(':')
  return { truth: truth!, predicted: predicted! }
})

describe('clusterQuality', () => {
  it.each([
    ['a:1 a:1 b:2 b:2', 1, 1],
    ['a:1 a:1 b:1 b:1', 0.5, 1],
    ['a:1 a:2 a:3 a:4', 1, 0.25],
    ['a:1 a:1 a:2 b:2', 0.75, 0.75],
  ])('%s → purity %f, completeness %f', (pairs, purity, completeness) => {
    const q = clusterQuality(items(pairs))
    expect(q.purity).toBeCloseTo(purity)
    expect(q.completeness).toBeCloseTo(completeness)
  })

  it('names the mixed clusters and the split causes', () => {
    expect(worstClusters(items('a:1 b:1 c:2 c:3'), 5)).toEqual(['cluster 1 mixes a ×1, b ×1', 'cause "c" split over 2 clusters (1 + 1)'])
  })
})

describe('binaryScores', () => {
  it('counts hits, false alarms and misses', () => {
    const s = binaryScores(new Set(['a', 'b', 'x']), new Set(['a', 'b', 'c', 'd']))
    expect(s).toMatchObject({ tp: 2, fp: 1, fn: 2, recall: 0.5 })
    expect(s.precision).toBeCloseTo(2 / 3)
    expect(s.f1).toBeCloseTo(4 / 7)
    expect(binaryScores(new Set(), new Set())).toMatchObject({ precision: 1, recall: 1, f1: 1 })
  })
})
