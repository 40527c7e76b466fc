import { classifyError } from './engine'

/**
 * Category accuracy of single-message classification over labelled failures, with the confusion matrix and the
 * misses (for bench scripts and tests). Cluster-level categories (flaky, infrastructure) need a context bundle.
 * Items may name a `group` (their root cause): a group counts as right when more than half of its items are.
 */
export function categoryAccuracy(labelled: { category: string, message: string, stack: string | null, group?: string }[]) {
  const confusion = new Map<string, Map<string, number>>()
  const misses: { expected: string, got: string, message: string, stack: string | null, group?: string }[] = []
  const groups = new Map<string, { total: number, correct: number }>()
  let correct = 0
  for (const l of labelled) {
    const got = classifyError(l.message, l.stack)?.category ?? 'unknown'
    const row = confusion.get(l.category) ?? new Map<string, number>()
    row.set(got, (row.get(got) ?? 0) + 1)
    confusion.set(l.category, row)
    let group: { total: number, correct: number } | undefined
    if (l.group != null) {
      group = groups.get(l.group) ?? { total: 0, correct: 0 }
      groups.set(l.group, group)
      group.total++
    }
    if (got === l.category) {
      correct++
      if (group) group.correct++
    }
    else {
      const named = l.group == null ? {} : { group: l.group }
      misses.push({ expected: l.category, got, message: l.message || (l.stack ?? ''), stack: l.stack, ...named })
    }
  }
  const groupsCorrect = [...groups.values()].filter(g => g.correct * 2 > g.total).length
  return {
    accuracy: labelled.length ? correct / labelled.length : 0, correct, total: labelled.length, confusion, misses,
    groups: { accuracy: groups.size ? groupsCorrect / groups.size : 0, correct: groupsCorrect, total: groups.size },
  }
}
