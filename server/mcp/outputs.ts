import { z } from 'zod'

/**
 * What the fields of each tool's answer mean (its outputSchema). Only fields a model could misread are declared, as
 * a description without a type (tools/list is re-sent every turn); every field is optional (empty ones are omitted)
 * and objects are open, so fields added later pass. Lists page with nextCursor, which the server's instructions explain.
 */

type Shape = Record<string, z.ZodType>
const obj = (shape: Shape) => z.looseObject(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.optional()])))
const is = (description: string) => z.any().describe(description)

/** A list answer: items, and a cursor to the rest whenever it stopped early (row limit or the ~8k-token cap). */
const page = (item: Shape) => obj({ items: z.array(obj(item)), nextCursor: z.string(), truncated: is('Why it stopped before limit') })

const run = {
  status: is('passed, failed, or empty (no tests)'),
  infra: is('Most tests failed: infrastructure, left out of flakiness'),
  counts: obj({ flaky: is('Passed on retry') }),
}
const flaky = {
  label: is('broken: fails every run; flaky; stable; new: too few runs'),
  score: is('Flakiness 0-1'),
  confidence: is('Wilson 95% lower bound of score'),
  sample: is('Runs scored: default branch, infra runs left out'),
  flips: is('Pass/fail changes between runs'),
  mixedCommits: is('Commits with both outcomes'),
}
const resultRow = { knownFailure: is('Failed in previousRunId too'), error: is('First line of the error') }
const cluster = { occurrences: is('Failed results with this cause'), status: is('Triage status') }

export const OUTPUTS = {
  list_projects: page({ slug: is('The projectSlug'), passRate: is('Share passed, 30 days') }),
  get_project: obj({ passRate: is('Share passed, 30 days') }),
  list_runs: page(run),
  get_run: obj({
    infra: run.infra,
    failureGroups: z.array(obj({
      failures: is('Failed tests with this cause'),
      flaky: is('Tests passed on retry after this error'),
      newCause: is('First seen in this run'),
      firstSeenRunId: is('Run where the cause began'),
      diagnosis: is('Latest diagnosis; get_cluster_diagnosis has the fix'),
      tests: z.array(obj({ knownFailure: resultRow.knownFailure })),
    })),
    results: page(resultRow),
  }),
  list_failed_cases: page(resultRow),
  list_flaky_tests: page(flaky),
  get_test_case: obj({
    label: flaky.label, confidence: flaky.confidence, sample: flaky.sample,
    errors: z.array(obj({ count: is('History rows with it') })),
  }),
  list_clusters: page(cluster),
  get_cluster: obj(cluster),
  get_cluster_diagnosis: obj({ confidence: is('0-1'), version: is('Each follows new evidence') }),
  get_cluster_context: obj({ approxTokens: is('Size of markdown') }),
}
