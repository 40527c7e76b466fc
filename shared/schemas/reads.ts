import { z } from 'zod'
import { compareRefSchema, slugSchema, uuidSchema } from './common'
import { CLUSTER_STATUSES, FAILURE_CATEGORIES, RUN_STATUSES } from '../constants'
import { EXPLORER_SORTS, EXPLORER_STATUSES, EXPLORER_VIEWS, FLAKY_SORTS, SEARCH_STATUSES } from '../search'
import { isUuid } from '../uuid'

/** Query and parameter schemas of the read API, shared by the dashboard routes and the MCP tools. */

/**
 * Checks that no model needs to see (string formats, length bounds) are refinements: zod's own checks become regex
 * patterns and bounds in the JSON Schema every MCP client receives with tools/list, where they cost bytes on every
 * turn. What a model does use stays declared: types, enums, defaults, limit bounds.
 */
/** Postgres text cannot hold NUL, so a query value with one is refused here, as a 400 naming the field, not at the database. */
const NO_NUL = [(s: string) => !s.includes('\u0000'), 'cannot contain a NUL character (%00).'] as const
const cursorSchema = z.string().refine(...NO_NUL).refine(s => s.length <= 500, 'cursor is the nextCursor of a previous page, unchanged.').optional()
/** A page size; `name` is the argument's name where it is not `limit` (get_test_case's `history`). */
const limit = (max: number, fallback: number, name = 'limit') => z.coerce.number()
  .refine(n => Number.isInteger(n) && n >= 1, `${name} is a whole number, at least 1.`).max(max, `${name} is at most ${max}.`).default(fallback)
const branchSchema = z.string().trim().refine(...NO_NUL).refine(s => s.length >= 1 && s.length <= 200, 'branch is 1–200 characters.').optional()
/**
 * A read's bound: an ISO 8601 time with its zone, or a day alone, which is what a person or a model writes: in UTC, from
 * its start as a lower bound and through its end as an upper one (`since=until=2026-12-05` is that day's runs).
 */
const isoBound = (upper: boolean) => z.string().refine(s => /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d))?$/.test(s) && !Number.isNaN(Date.parse(s))
  // a day that does not exist (2026-02-30) is not read as the one it rolls over to (2026-03-02)
  && new Date(`${s.slice(0, 10)}T00:00:00Z`).toISOString().startsWith(s.slice(0, 10)),
`Dates are ISO 8601: a day (2026-11-01, ${upper ? 'through its end' : 'from its start'} in UTC) or a time with its zone (2026-11-01T00:00:00Z).`)
  .transform(s => upper && s.length === 10 ? `${s}T23:59:59.999Z` : new Date(s).toISOString())
const isoDate = isoBound(false)

/**
 * Words to find, as a list filter: a test's title, suite or file, or the error text of its failure clusters. No
 * description in the JSON Schema: tools/list stays within its 8 KB (docs/mcp.md says what `query` matches).
 */
const searchText = (field: string) => z.string().trim().refine(...NO_NUL)
  .refine(s => s.length >= 2 && s.length <= 200, `${field} is 2–200 characters.`)
const queryFilter = searchText('query').optional()
/** Test owners from CODEOWNERS, as the flaky, clusters and explorer pages filter by them (not an MCP input); `none`: no owner. */
const ownerFilter = z.string().trim().refine(...NO_NUL).refine(s => s.length >= 1 && s.length <= 200, 'owner is 1–200 characters.').optional()

/** A sorted list's direction; left out, a title sorts ascending and a number descending. */
const sortDir = z.enum(['asc', 'desc'], 'dir is asc or desc.').optional()

/** The dashboard's lists in sections per owner (the whole filtered list, each section cut to `limit` rows). */
const groupByFilter = z.enum(['owner'], 'groupBy is owner (or left out).').optional()

export const projectParamsSchema = z.object({ projectSlug: slugSchema })
/** A page of a list that is not paged in SQL (list_projects over MCP). */
export const pageQuerySchema = z.object({ cursor: cursorSchema, limit: limit(100, 20) })
/** A run by its number in the project (`/api/projects/:slug/runs/by-number/1234`). */
export const runNumberParamsSchema = projectParamsSchema.extend({
  runNumber: z.coerce.number('A run number is a whole number, like 1234 in #1234.')
    .refine(n => Number.isInteger(n) && n >= 1 && n <= 2_147_483_647, 'A run number is a whole number, like 1234 in #1234.'),
})
export const runParamsSchema = z.object({ runId: uuidSchema('A run id is a UUID, as list_runs and the runs table give it.') })
export const testCaseParamsSchema = z.object({ testCaseId: uuidSchema('A test case id is a UUID, as get_run and list_flaky_tests give it.') })

export const listRunsQuerySchema = z.object({
  branch: branchSchema,
  status: z.enum(RUN_STATUSES, `status is one of: ${RUN_STATUSES.join(', ')}.`).optional(),
  since: isoDate.optional(),
  until: isoBound(true).optional(),
  cursor: cursorSchema,
  limit: limit(100, 20),
})
export type ListRunsQuery = z.infer<typeof listRunsQuerySchema>

const RESULT_FILTERS = ['failed', 'flaky', 'passed', 'skipped', 'all'] as const
export const getRunQuerySchema = z.object({
  /** `failed` (the default) is failed + errored; a test that passed on retry is `flaky`, never `failed`. */
  status: z.enum(RESULT_FILTERS, `status is one of: ${RESULT_FILTERS.join(', ')}.`).default('failed'),
  cursor: cursorSchema,
  limit: limit(200, 25),
})
export type GetRunQuery = z.infer<typeof getRunQuerySchema>
/** What getRun reads: the REST query, or status null for the summary and failure groups without result rows. */
export type RunResultsQuery = Omit<GetRunQuery, 'status'> & { status: GetRunQuery['status'] | null }

/** The run a run is compared with: "previous" (its branch's previous run of its environment, else the default branch's) or a run id. */
const compareToSchema = z.string().trim().toLowerCase()
  .refine(s => s === 'previous' || isUuid(s),
    'compareTo is "previous" or a run id (a UUID, as list_runs gives it).')

export const compareRunsQuerySchema = z.object({
  to: compareToSchema.default('previous'),
  /** Tests listed per kind of change; each kind's total counts them all. */
  limit: limit(200, 20),
})
export type CompareRunsQuery = z.infer<typeof compareRunsQuerySchema>

/**
 * get_run over MCP: the triage (summary and failure groups) by default; result rows only when `results` names a
 * filter, paged by cursor and limit.
 */
export const getRunToolQuerySchema = getRunQuerySchema.omit({ status: true }).extend({
  results: z.enum(RESULT_FILTERS, `results is one of: ${RESULT_FILTERS.join(', ')}.`).optional(),
  /** Described in get_run's description (one sentence there costs fewer tools/list bytes than a field description). */
  compareTo: compareRefSchema.optional(),
  limit: limit(200, 20),
})

export const listFailedResultsQuerySchema = z.object({
  query: queryFilter,
  branch: branchSchema,
  since: isoDate.optional(),
  cursor: cursorSchema,
  limit: limit(100, 20),
})
export type ListFailedResultsQuery = z.infer<typeof listFailedResultsQuerySchema>

const FLAKY_FILTERS = ['flaky', 'broken', 'any'] as const
export const listFlakyTestsQuerySchema = z.object({
  /** `flaky` (default), `broken`, or `any`: every test that is not plainly stable (broken ones with score 0 included). */
  label: z.enum(FLAKY_FILTERS, `label is one of: ${FLAKY_FILTERS.join(', ')}.`).default('flaky'),
  query: queryFilter,
  cursor: cursorSchema,
  limit: limit(100, 20),
})

/**
 * The dashboard's flaky list also narrows to tests that failed or passed on retry on one branch, and sorts by another
 * column (not MCP inputs: tools/list has no room left in its 8 KB). `sort`: `score` (left out), `failureRate`,
 * `lastFlake` or `title`; ties in id order.
 */
export const listFlakyTestsPageQuerySchema = listFlakyTestsQuerySchema.extend({
  sort: z.enum(FLAKY_SORTS, `sort is one of: ${FLAKY_SORTS.join(', ')}.`).optional(),
  dir: sortDir,
  branch: z.string().trim().min(1).max(200).refine(...NO_NUL).optional(),
  owner: ownerFilter,
  groupBy: groupByFilter,
})
export type ListFlakyTestsPageQuery = z.infer<typeof listFlakyTestsPageQuerySchema>

export const runTrendsQuerySchema = z.object({ days: z.coerce.number().int('days is a whole number.').min(1, 'days is at least 1.').max(365, 'days is at most 365.').default(30) })
export type RunTrendsQuery = z.infer<typeof runTrendsQuerySchema>

export const getTestCaseQuerySchema = z.object({ history: limit(100, 20, 'history') })
/** A page of one test's results, newest first: the test page's history table past its first page, on one branch if given. */
export const testCaseHistoryQuerySchema = z.object({ branch: branchSchema, cursor: cursorSchema, limit: limit(100, 50) })
export type TestCaseHistoryQuery = z.infer<typeof testCaseHistoryQuerySchema>
export type GetTestCaseQuery = z.infer<typeof getTestCaseQuerySchema>

export const listClustersQuerySchema = z.object({
  query: queryFilter,
  status: z.enum(CLUSTER_STATUSES, `status is one of: ${CLUSTER_STATUSES.join(', ')}.`).optional(),
  category: z.enum(FAILURE_CATEGORIES, `category is one of: ${FAILURE_CATEGORIES.join(', ')}.`).optional(),
  cursor: cursorSchema,
  limit: limit(100, 20),
})
const PAGE_CLUSTER_STATUSES = [...CLUSTER_STATUSES, 'unresolved'] as const
/**
 * The dashboard's clusters list also narrows to clusters with a test of one owner, and to the unresolved ones (open,
 * investigating or regressed: what the project page counts as its open clusters).
 */
export const listClustersPageQuerySchema = listClustersQuerySchema.extend({
  status: z.enum(PAGE_CLUSTER_STATUSES, `status is one of: ${PAGE_CLUSTER_STATUSES.join(', ')}.`).optional(),
  owner: ownerFilter, groupBy: groupByFilter,
  /** Clusters whose first (or last) failure is in a run started after this time: where "needs attention" links. */
  firstSeenAfter: isoDate.optional(),
  lastSeenAfter: isoDate.optional(),
})
export type ListClustersPageQuery = z.infer<typeof listClustersPageQuerySchema>

const SEARCH_KINDS = ['all', 'tests', 'clusters'] as const
/** Search across history: tests (title, suite, file) and failure clusters (error text) of every project in scope. */
export const searchQuerySchema = z.object({
  /** A single digit is a run number (`7` finds run #7), not words to match. */
  q: z.string().trim().refine(...NO_NUL)
    .refine(s => (s.length >= 2 || /^\d$/.test(s)) && s.length <= 200, 'q is 2–200 characters, or a run number.'),
  project: slugSchema.optional(),
  branch: branchSchema,
  /** The test's latest result (on `branch` when given): failed is failed or errored, flaky passed on retry. */
  status: z.enum(SEARCH_STATUSES, `status is one of: ${SEARCH_STATUSES.join(', ')}.`).optional(),
  since: isoDate.optional(),
  /** Which list to page: a cursor continues one list, so it needs `tests` or `clusters`. */
  kind: z.enum(SEARCH_KINDS, `kind is one of: ${SEARCH_KINDS.join(', ')}.`).default('all'),
  cursor: cursorSchema,
  limit: limit(50, 10),
}).refine(q => !q.cursor || q.kind !== 'all', { message: 'A cursor continues one list: pass kind=tests or kind=clusters with it.', path: ['cursor'] })
export type SearchQuery = z.infer<typeof searchQuerySchema>

/** The test explorer (GET /api/projects/:slug/tests): every test that ran in the last `days` days up to the project's latest run. */
export const listExplorerTestsQuerySchema = z.object({
  view: z.enum(EXPLORER_VIEWS, `view is one of: ${EXPLORER_VIEWS.join(', ')}.`).default('all'),
  /** Defaults by view: failure rate (all), p50 (slowest), change (regressions); title ascending, numbers descending. */
  sort: z.enum(EXPLORER_SORTS, `sort is one of: ${EXPLORER_SORTS.join(', ')}.`).optional(),
  dir: sortDir,
  query: queryFilter,
  status: z.enum(EXPLORER_STATUSES, `status is one of: ${EXPLORER_STATUSES.join(', ')}.`).optional(),
  flaky: z.enum(['true', 'false'], 'flaky is true or false.').optional(),
  owner: ownerFilter,
  groupBy: groupByFilter,
  days: z.coerce.number().int('days is a whole number.').min(1, 'days is at least 1.').max(90, 'days is at most 90.').default(14),
  cursor: cursorSchema,
  limit: limit(100, 25),
})
export type ListExplorerTestsQuery = z.infer<typeof listExplorerTestsQuerySchema>

/** A CODEOWNERS file as the CLI sends it (PUT /api/v1/projects/:slug/codeowners, text/plain). */
export const codeownersBodySchema = z.string().refine(...NO_NUL).refine(s => s.trim().length > 0, 'The CODEOWNERS file is empty.')
