/** Accuracy measures for the analysis benchmarks: pure, over labelled items. */

export interface ClusterQuality {
  /** Share of items whose cluster's majority root cause is their own. */
  purity: number
  /** Share of items that sit in the cluster holding most of their root cause. */
  completeness: number
  clusters: number
  classes: number
  n: number
}

function tally(items: { truth: string, predicted: string }[], by: 'truth' | 'predicted') {
  const other = by === 'truth' ? 'predicted' : 'truth'
  const groups = new Map<string, Map<string, number>>()
  for (const item of items) {
    const g = groups.get(item[by]) ?? new Map<string, number>()
    g.set(item[other], (g.get(item[other]) ?? 0) + 1)
    groups.set(item[by], g)
  }
  return groups
}

const largest = (g: Map<string, number>) => Math.max(...g.values())

/** Purity (clusters do not mix causes) and completeness (a cause is not split over clusters). */
export function clusterQuality(items: { truth: string, predicted: string }[]): ClusterQuality {
  const byCluster = tally(items, 'predicted')
  const byClass = tally(items, 'truth')
  const n = items.length
  const sum = (groups: Map<string, Map<string, number>>) => [...groups.values()].reduce((s, g) => s + largest(g), 0)
  return { purity: n ? sum(byCluster) / n : 1, completeness: n ? sum(byClass) / n : 1, clusters: byCluster.size, classes: byClass.size, n }
}

/** The worst offenders, for a benchmark to print: clusters that mix causes and causes split across clusters. */
export function worstClusters(items: { truth: string, predicted: string }[], limit: number): string[] {
  const describe = (g: Map<string, number>) => [...g].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ×${v}`).join(', ')
  const mixed = [...tally(items, 'predicted')].filter(([, g]) => g.size > 1)
    .sort((a, b) => (b[1].size - a[1].size) || a[0].localeCompare(b[0])).slice(0, limit)
    .map(([cluster, g]) => `cluster ${cluster.slice(0, 16)} mixes ${describe(g)}`)
  const split = [...tally(items, 'truth')].filter(([, g]) => g.size > 1)
    .sort((a, b) => (b[1].size - a[1].size) || a[0].localeCompare(b[0])).slice(0, limit)
    .map(([cause, g]) => `cause "${cause}" split over ${g.size} clusters (${[...g.values()].sort((a, b) => b - a).join(' + ')})`)
  return [...mixed, ...split]
}

export interface BinaryScores {
  precision: number
  recall: number
  f1: number
  tp: number
  fp: number
  fn: number
}

/** Precision, recall and F1 of a predicted set against the actual one. */
export function binaryScores(predicted: Set<string>, actual: Set<string>): BinaryScores {
  const tp = [...predicted].filter(k => actual.has(k)).length
  const fp = predicted.size - tp
  const fn = actual.size - tp
  const precision = predicted.size ? tp / predicted.size : 1
  const recall = actual.size ? tp / actual.size : 1
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0
  return { precision, recall, f1, tp, fp, fn }
}
