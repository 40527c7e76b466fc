import { z } from 'zod'
import { runRefSchema } from '#shared/schemas/common'
import { getRunToolQuerySchema } from '#shared/schemas/reads'
import { RUN_CHANGES } from '#shared/search'
import type { RunComparison } from '#shared/types/search'
import { getRun } from '../../services/runs'
import { compareRuns } from '../../services/compare'
import { getRunByNumber } from '../../services/search'
import { badRequest } from '../../utils/errors'
import { defineTool } from '../define'
import { OUTPUTS } from '../outputs'
import { named, runAnswer } from '../project'

/** Tests listed per kind of change in a compareTo answer; each kind's total counts them all. */
const COMPARED_TESTS = 10

/** compareTo, compactly: the base run, then per kind of change that happened its total and its tests' ids, titles (names) and variants. */
function comparisonAnswer({ run, base, baseReason, changes }: RunComparison): Record<string, unknown> {
  // said, not left out: an empty comparison would vanish from the compact answer, as if compareTo had been ignored
  const of = run.environment ? ` of its environment (${run.environment})` : ''
  if (!base) return { note: `Nothing to compare with: no earlier run${of} on this run's branch or on the default branch.` }
  return {
    baseRunId: base.id, baseReason,
    ...Object.fromEntries(RUN_CHANGES.filter(kind => changes[kind].total).map(kind => [kind, {
      total: changes[kind].total,
      tests: changes[kind].tests.map(t => ({
        // the variant (a browser, a parameter) stays: without it one test in two browsers reads as the same row twice
        ...named({ testCaseId: t.testCaseId, title: t.title }, t.suitePath), ...(t.variant ? { variant: t.variant } : {}),
        ...(kind === 'slower' ? { ms: [t.baseDurationMs, t.durationMs] } : {}),
      })),
    }])),
  }
}

export const getRunTool = defineTool({
  name: 'get_run',
  title: 'Run',
  description: 'A run\'s triage (id or slug#N): failures by cause (new/known, since when, diagnosis), flaky causes; results: rows; '
    + 'compareTo=previous|runId. Next: get_cluster_diagnosis.',
  input: z.object({ runId: runRefSchema }).extend(getRunToolQuerySchema.shape),
  output: OUTPUTS.get_run,
  shorten: 'limit',
  run: async (scope, { runId: ref, results, compareTo: compareRef, ...query }) => {
    // a run by its number in its project (web#1234), as CI and people name it; so may the run it is compared with be
    const idOf = async (r: Exclude<typeof compareRef, 'previous' | undefined>) => 'id' in r ? r.id : (await getRunByNumber(scope, r.projectSlug, r.number)).runId
    const runId = await idOf(ref)
    const compareTo = compareRef === undefined || compareRef === 'previous' ? compareRef : await idOf(compareRef)
    // a page of results is asked for by `results`; without it the answer has no rows for a cursor to continue
    if (query.cursor && results === undefined) {
      throw badRequest('cursor continues the run\'s result rows: give results as on the page whose nextCursor it is (e.g. results: "all").', 'bad_cursor')
    }
    const [run, comparison] = await Promise.all([
      getRun(scope, runId, { ...query, status: results ?? null }),
      compareTo ? compareRuns(scope, runId, { to: compareTo, limit: COMPARED_TESTS }) : undefined,
    ])
    const answer = runAnswer(run, results !== undefined)
    // a later page of results is those rows (the run's triage was in the first answer)
    if (query.cursor) return { id: answer.id, results: answer.results, ...(comparison ? { comparison: comparisonAnswer(comparison) } : {}) }
    return { ...answer, ...(comparison ? { comparison: comparisonAnswer(comparison) } : {}) }
  },
})
