import { ingestMetaSchema, INGEST_META_FIELDS } from '#shared/schemas/ingest'
import { ingestRun } from '../../../services/ingest'
import { withIngestSlot } from '../../../utils/admission'
import { linksBaseUrl } from '../../../utils/config'
import { timeSteps, stepDone } from '../../../utils/steps'
import { readUploadedFiles } from '../../../utils/upload'
import { validator } from '../../../utils/validate'

defineRouteMeta({
  openAPI: {
    tags: ['ingest'],
    summary: 'Upload a test report (one run, or one shard of a run)',
    description: 'Body: a JUnit XML, Playwright JSON, CTRF JSON or Proofdeck JSON report, raw (optionally gzip) or multipart/form-data with one or more files, plus `attachment` parts: the files the reports refer to (screenshots, videos, traces), each named by the path the report gives it. Metadata as query parameters or X-Proofdeck-<Field> headers. The same runKey and content again answers 200 with the same receipt; new files under an existing runKey are merged into that run (201). A `Server-Timing` header gives the server\'s milliseconds per step (parse, results, scores, days, commit…).',
    security: [{ bearerAuth: [] }],
    parameters: [
      { in: 'query', name: 'project', required: true, schema: { type: 'string' }, description: 'Project slug; created when unknown (unless the key is bound to another project).' },
      { in: 'query', name: 'branch', schema: { type: 'string' } },
      { in: 'query', name: 'defaultBranch', schema: { type: 'string' }, description: 'The repository\'s default branch: the default branch of a project this upload creates (else the upload\'s branch, else main). Ignored for a project that exists.' },
      { in: 'query', name: 'commit', schema: { type: 'string' }, description: 'Git SHA, 7–64 hex characters.' },
      { in: 'query', name: 'commitMessage', schema: { type: 'string' } },
      { in: 'query', name: 'buildUrl', schema: { type: 'string', format: 'uri' } },
      { in: 'query', name: 'runKey', schema: { type: 'string' }, description: 'Uploads with the same key merge into one run (CI shards). Default: derived from the content.' },
      { in: 'query', name: 'environment', schema: { type: 'string' } },
      { in: 'query', name: 'startedAt', schema: { type: 'string', format: 'date-time' } },
      { in: 'query', name: 'ciAttempt', schema: { type: 'integer', minimum: 1, maximum: 32767 }, description: 'The CI\'s attempt of the workflow run (GitHub\'s GITHUB_RUN_ATTEMPT): a test the run already holds from an upload of the same attempt is another matrix leg (a failure in either fails it), from an earlier attempt a retry.' },
      { in: 'query', name: 'shard', schema: { type: 'string' }, description: 'Which shard of how many this upload is (2/4; a Playwright report\'s own config.shard otherwise): the receipt\'s `shards` then says how many of the run\'s shards are in and which are missing.' },
      { in: 'query', name: 'job', schema: { type: 'string' }, description: 'The CI job this upload comes from (GITHUB_JOB; the CLI\'s --job): jobs that share a run key each count their own shards, and `shards.jobs` says each job\'s.' },
      { in: 'query', name: 'format', schema: { type: 'string', enum: ['junit', 'playwright', 'ctrf', 'proofdeck'] }, description: 'Overrides detection from the content.' },
    ],
    responses: {
      201: { description: 'New run or new shard stored; the receipt.' },
      200: { description: 'Everything was already stored (a retry); the same receipt.' },
      400: { description: 'Bad metadata or body.' },
      401: { description: 'Missing, unknown, revoked or expired API key.' },
      403: { description: 'The key lacks the ingest scope.' },
      404: { description: 'The project is outside the key\'s scope.' },
      413: { description: 'Larger than PROOFDECK_MAX_UPLOAD_MB (as sent, or all files together once decompressed), or more files than PROOFDECK_MAX_UPLOAD_PARTS.' },
      415: { description: 'Unsupported Content-Type.' },
      422: { description: 'A file is not a readable report; the message names the file, the problem and where.' },
      429: { description: 'The key already has PROOFDECK_INGEST_CONCURRENCY uploads in progress; retry after the Retry-After seconds.' },
    },
  },
})

/** Upload a test report (JUnit XML, Playwright JSON, CTRF or Proofdeck JSON). Answers with the run's receipt. */
export default defineEventHandler(async (event) => {
  const scope = await requireApiKey(event, 'ingest')
  const query = getQuery(event)
  // Metadata from the query string, or X-Proofdeck-<Field> headers (the query wins).
  const raw = Object.fromEntries(INGEST_META_FIELDS.map(f => [f, query[f] ?? getRequestHeader(event, `x-proofdeck-${f.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`)]))
  const meta = validator(ingestMetaSchema)(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== '')))
  const { value: { created, receipt }, timing } = await timeSteps(() => withIngestSlot(event, scope.keyId ?? scope.userId, async () => {
    const upload = await readUploadedFiles(event)
    stepDone('body')
    return ingestRun(scope, meta, upload.files, linksBaseUrl(getRequestURL(event).origin), upload.attachments)
  }))
  setResponseHeader(event, 'server-timing', timing)
  setResponseStatus(event, created ? 201 : 200)
  return receipt
})
