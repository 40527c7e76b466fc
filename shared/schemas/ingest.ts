import { z } from 'zod'
import { REPORT_FORMATS } from '../constants'
import { slugSchema } from './common'

/**
 * Free text of the run. NUL: Postgres text refuses it, so it is a 400 here rather than a 500 at the insert. A one-line
 * value (a branch, an environment) takes no control character at all: git refuses them in a ref, and the CLI prints
 * the branch into CI logs, where an escape sequence would reach the terminal.
 */
const optionalText = (max: number, what: string, lines: 'one' | 'many' = 'one') =>
  z.string().trim().max(max, `${what} is longer than ${max} characters.`)
    .refine(v => !v.includes('\0'), `${what} contains a NUL character.`)
    // eslint-disable-next-line no-control-regex
    .refine(v => lines === 'many' || !/[\x00-\x1f\x7f]/.test(v), `${what} contains a control character (a line break, tab or escape).`)
    .optional().transform(v => v || undefined)

/**
 * How far ahead of the server's clock a run's start may be: a report's local time without a zone read as UTC (up to
 * 14 hours), and a CI machine's clock a little fast. Later is a wrong clock or a typo, and would make the run the
 * project's latest for years.
 */
const MAX_AHEAD_HOURS = 24

/**
 * How far ahead of the server's clock a report's own start may be: a CI machine's clock a little fast. More is a local
 * time written without its zone (jest-junit on a runner east of UTC) or a wrong clock, and the upload's own time is
 * nearer the truth than a start hours ahead, which would make the run the project's latest until then.
 */
export const MAX_REPORT_AHEAD_MINUTES = 5

/** The start is later than MAX_AHEAD_HOURS from now. */
function startsTooLate(startedAt: Date, now = Date.now()): boolean {
  return startedAt.getTime() > now + MAX_AHEAD_HOURS * 3_600_000
}

/** The most shards a run may declare. */
const MAX_SHARDS = 1000

/** The longest job name an upload may give (a GitLab job's name is at most 255 characters; the CLI cuts the CI's to this). */
const MAX_JOB = 200

/** `index/total`, as Playwright's --shard writes it: 1 ≤ index ≤ total ≤ MAX_SHARDS. */
const shardSchema = z.string().trim()
  .refine((s) => {
    const m = /^(\d{1,4})\/(\d{1,4})$/.exec(s)
    return !!m && Number(m[1]) >= 1 && Number(m[1]) <= Number(m[2]) && Number(m[2]) <= MAX_SHARDS
  }, `shard is this upload's shard and the run's number of shards, like 2/4 (from 1/1 to ${MAX_SHARDS}/${MAX_SHARDS}).`)
  .transform((s) => {
    const [index, total] = s.split('/').map(Number) as [number, number]
    return { index, total }
  })

/** Run metadata of an upload: query parameters, or X-Proofdeck-* headers (the query wins). */
export const ingestMetaSchema = z.object({
  project: z.string({ error: 'Say which project the run belongs to: add ?project=<slug> (or the X-Proofdeck-Project header).' }).pipe(slugSchema),
  branch: optionalText(250, 'The branch'),
  /**
   * The repository's default branch as the CI knows it (the CLI sends it): a project this upload creates takes it as its
   * default branch, instead of the upload's own branch, which is a pull request's on the first day of most setups
   * (200 characters at most, as in the project's settings).
   */
  defaultBranch: optionalText(200, 'The default branch'),
  commit: z.string().trim().regex(/^[0-9a-f]{7,64}$/i, 'The commit must be a git SHA (7–64 hex characters).').transform(v => v.toLowerCase()).optional(),
  commitMessage: optionalText(2000, 'The commit message', 'many'),
  buildUrl: optionalText(2000, 'The build URL')
    .pipe(z.url({ protocol: /^https?$/, message: 'The build URL must be an http(s) URL.' }).optional()),
  runKey: z.string().trim().min(1).max(200, 'The run key is longer than 200 characters.')
    .regex(/^[\x21-\x7E]+$/, 'The run key must be printable ASCII without spaces.').optional(),
  environment: optionalText(100, 'The environment'),
  startedAt: z.iso.datetime({ offset: true, message: 'startedAt must be an ISO 8601 date-time.' })
    .refine(s => !startsTooLate(new Date(s)), `startedAt is more than ${MAX_AHEAD_HOURS} hours ahead of the server's clock: a run cannot start in the future.`)
    // a report's own time at or before 1970 is a zero value, not a date (server/ingest/common.ts); given here, it was
    // stored, and years 0001–0099 read back as 19xx (and a list paged by start time never ended)
    .refine(s => new Date(s).getTime() > 0, 'startedAt is at or before 1970-01-01: give the time the run started.')
    .optional(),
  format: z.enum(REPORT_FORMATS, { message: `format must be one of ${REPORT_FORMATS.join(', ')}.` }).optional(),
  /**
   * The CI's attempt of the workflow run (GitHub's GITHUB_RUN_ATTEMPT, Azure's System.JobAttempt, Buildkite's retry
   * count + 1; the CLI sends it): a test this run already holds from an upload of the same attempt is another leg of a
   * matrix, whose failure fails the test, not a retry that passed.
   */
  ciAttempt: z.coerce.number('ciAttempt is a whole number from 1 to 32767.')
    .refine(n => Number.isInteger(n) && n >= 1 && n <= 32_767, 'ciAttempt is a whole number from 1 to 32767.').optional(),
  /**
   * Which shard of how many this upload is (`2/4`; the CLI's --shard, CircleCI's parallelism, Playwright's own
   * `config.shard`): the receipt then says how many of the run's shards are in, and which are still missing.
   */
  shard: shardSchema.optional(),
  /**
   * The CI job this upload comes from (the CLI's --job, GITHUB_JOB, GitLab's job name without its shard number…): jobs
   * that share a run key count their shards apart, so e2e's 3/3 and api's 3/3 are two shards, and the run is whole when
   * each job that declared shards has all of its own.
   */
  job: optionalText(MAX_JOB, 'The job'),
})
export type IngestMeta = z.infer<typeof ingestMetaSchema>

/** The run metadata a report itself may carry (CTRF environment, our JSON), held to the same rules as the upload's. */
export const reportMetaSchema = ingestMetaSchema.pick({
  branch: true, commit: true, commitMessage: true, buildUrl: true, environment: true, runKey: true, shard: true,
})
export const INGEST_META_FIELDS = ['project', 'branch', 'defaultBranch', 'commit', 'commitMessage', 'buildUrl', 'runKey', 'environment', 'startedAt', 'format', 'ciAttempt', 'shard', 'job'] as const
