import { z } from 'zod'

/**
 * What the fields of each tool's answer mean (its outputSchema). Only fields a model could misread are declared, with
 * a type and a few words (tools/list is re-sent every turn); every field is optional (empty ones are omitted) and
 * objects are open, so fields added later pass. Lists page with nextCursor and say `truncated` when they stop early
 * for size, which the server's instructions explain.
 */

type Shape = Record<string, z.ZodType>
const obj = (shape: Shape) => z.looseObject(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.optional()])))
const num = (description: string) => z.number().describe(description)
const str = (description: string) => z.string().describe(description)
const bool = (description: string) => z.boolean().describe(description)

/** A list answer: items (and nextCursor to the rest whenever it stopped early, which the server's instructions say). */
const page = (item: Shape) => obj({ items: z.array(obj(item)) })

const run = {
  status: str('passed, failed, or empty (no tests)'),
  infra: bool('Most tests failed: infrastructure, not scored'),
  counts: obj({ flaky: num('Passed on retry') }),
}
const flaky = {
  label: str('broken: fails every run; flaky; stable; new: too few runs'),
  score: num('Flakiness 0-1'),
  confidence: num('Wilson 95% lower bound of score'),
  sample: num('Runs scored (any branch, no infra)'),
  flips: num('Pass/fail changes'),
  mixedCommits: num('Commits with both outcomes'),
}
const resultRow = { knownFailure: bool('Already failing/flaky on default branch'), error: str('First line of the error') }
const cluster = {
  occurrences: num('Results failed or passed on retry'),
  flaky: bool('All passed on retry'),
  status: str('Triage status'),
}

export const OUTPUTS = {
  list_projects: page({ slug: str('The projectSlug'), passRate: num('Share passed, 30 days') }),
  get_project: obj({ passRate: num('Share passed, 30 days') }),
  list_runs: page(run),
  // its results' rows, when asked for, are list_failed_cases' rows with the groups' tests' knownFailure
  get_run: obj({
    infra: run.infra,
    failureGroups: z.array(obj({
      failures: num('Failed tests with this cause'),
      flaky: num('Tests passed on retry after this error'),
      newCause: bool('First seen in this run'),
      firstSeenRunId: str('Run where the cause began'),
      diagnosis: str('Latest diagnosis; get_cluster_diagnosis has the fix'),
      tests: z.array(obj({ knownFailure: resultRow.knownFailure })),
      testsNotListed: num('More tests, not listed'),
    })),
  }),
  list_failed_cases: page({ error: resultRow.error }),
  list_flaky_tests: page(flaky),
  get_test_case: obj({
    label: flaky.label, confidence: flaky.confidence, sample: flaky.sample,
    errors: z.array(obj({ count: num('History rows here with it') })),
  }),
  list_clusters: page(cluster),
  get_cluster: obj({ ...cluster, affectedNotListed: num('More affected tests, not listed') }),
  get_cluster_diagnosis: obj({ latest: obj({ confidence: num('0-1'), createdAt: str('Quoted scores are of then') }) }),
  get_cluster_context: obj({ approxTokens: num('Size of markdown') }),
}
