#!/usr/bin/env node
// proofdeck — uploads test reports from CI to a Proofdeck server and prints the receipt. No dependencies.
import * as fs from 'node:fs'
import { appendFileSync, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { basename, isAbsolute, relative, sep } from 'node:path'
import { parseArgs } from 'node:util'
import { collectAttachments } from './lib/attachments.mjs'
import { detectCi, MAX_JOB } from './lib/ci.mjs'
import { commentJob, commentMarker, commentTarget, upsertComment } from './lib/comment.mjs'
import { findCodeowners, sendCodeowners } from './lib/codeowners.mjs'
import { expandPatterns } from './lib/files.mjs'
import { blockingVerdict, printQuarantine } from './lib/quarantine.mjs'
import { localReportStart, pickStartedAt } from './lib/started-at.mjs'
import { renderReceipt, renderSummary } from './lib/summary.mjs'

const HELP = `Usage: proofdeck upload <files or globs…> [options]
       proofdeck quarantine --project <slug> [--variant <name>] [--format list|json]

Uploads JUnit XML, Playwright JSON or CTRF reports as one run and prints the receipt (more than 50 files
go in several uploads with the same run key, merged into that one run).

Options:
  --project <slug>        project (required; created on first upload)
  --branch, --commit, --commit-message, --build-url, --environment
                          run metadata (default: from GitHub Actions, GitLab CI, Jenkins,
                          CircleCI, Buildkite or Azure Pipelines variables)
  --default-branch <name> the repository's default branch, for a project the upload creates (default:
                          from the CI: GitHub's event, GitLab, Buildkite, or a pull request's target)
  --run-key <key>         uploads with the same key merge into one run (CI shards); default: from the
                          CI (plus --environment), else from the content, so running again is a retry
  --shard <i/n>           this upload is shard i of its job's n (e.g. 2/4; default: $PROOFDECK_SHARD,
                          CircleCI's parallelism, a Playwright report's own --shard): until all n are
                          in, the summary and comment say which are missing and never read ✅
  --job <name>            the CI job this upload comes from: jobs that share a run key count their
                          shards apart (default: $PROOFDECK_JOB, else the CI's job: GITHUB_JOB, GitLab's
                          job name without its shard number, Buildkite's step key or label, CIRCLE_JOB,
                          Jenkins' JOB_NAME)
  --started-at <ISO|report>
                          when the run started, e.g. 2026-03-05T14:30:00Z (default: the job's start
                          from GitLab or Azure Pipelines, else the reports' own timestamps, a local
                          time without a zone read in this machine's zone, else now);
                          "report" leaves it to the reports
  --url <url>             server URL (default: $PROOFDECK_URL)
  --token <pd_…>          API key with the ingest scope (default: $PROOFDECK_TOKEN)
  --summary <file>        append a markdown summary (also $GITHUB_STEP_SUMMARY when set)
  --no-codeowners         do not send the repository's CODEOWNERS (.github/, root or docs/), which gives
                          tests their owners; sent after the upload by default
  --no-comment            no pull/merge request comment (also PROOFDECK_COMMENT=0); by default the
                          summary is posted, and updated on the job's later uploads, as the job's
                          comment on the pull request (GitHub Actions with GITHUB_TOKEN) or merge request (GitLab CI
                          with PROOFDECK_GITLAB_TOKEN); a comment that fails is a warning, never an exit 1
  --retries <n>           retries on other 5xx answers (default 3)
  --retry-for <seconds>   keeps retrying an unreachable server, 429, 502, 503 and 504 this long
                          (default 60: a restart or a deploy), waiting what Retry-After says
  --timeout <seconds>     per attempt (default 60)
  --no-attachments        send the reports only; by default the files they name (Playwright
                          screenshots, videos and traces, JUnit [[ATTACHMENT|path]] lines; paths
                          relative to the report; only inside the working directory or the report's
                          folder, never a hidden file) go in the same upload, and missing ones are listed
  --max-attachment-mb <n> leave out attachment files larger than this (default 20)
  --max-attachments-mb <n>
                          attachment files of one upload together at most this (default 30)
  --strict                exit 1 when the server rejected any item, or a file or pattern given found no
                          report (without it, a warning: the reports found are uploaded)
  --fail-on-blocking      exit 1 when a test that is not quarantined failed; quarantined
                          failures are forgiven (and named)
  --json                  print the raw receipt
  -q, --quiet             print nothing on success
  -h, --help, -v, --version

quarantine prints the project's quarantined tests (a key with the ingest or read scope):
  --format list           one test title per line, for runners that skip them (default)
  --format json           [{testCaseId, title, variant, suitePath, file, reason, by, at, expiresAt}]
  --variant <name>        only the tests quarantined in this configuration (a Playwright project,
                          a browser), and those that have no variant

Exit codes: 0 uploaded (whatever the tests did, unless --fail-on-blocking), 1 rejected or unreachable
(or a blocking failure with --fail-on-blocking), 2 usage error.`

const OPTIONS = {
  'project': { type: 'string' }, 'branch': { type: 'string' }, 'default-branch': { type: 'string' }, 'commit': { type: 'string' }, 'commit-message': { type: 'string' },
  'build-url': { type: 'string' }, 'run-key': { type: 'string' }, 'started-at': { type: 'string' }, 'environment': { type: 'string' }, 'shard': { type: 'string' }, 'job': { type: 'string' },
  'url': { type: 'string' },
  'token': { type: 'string' }, 'summary': { type: 'string' }, 'retries': { type: 'string', default: '3' },
  'retry-for': { type: 'string', default: '60' }, 'timeout': { type: 'string', default: '60' },
  'no-comment': { type: 'boolean' }, 'no-codeowners': { type: 'boolean' }, 'no-attachments': { type: 'boolean' },
  'max-attachment-mb': { type: 'string', default: '20' }, 'max-attachments-mb': { type: 'string', default: '30' }, 'strict': { type: 'boolean' }, 'fail-on-blocking': { type: 'boolean' }, 'format': { type: 'string', default: 'list' }, 'variant': { type: 'string' }, 'json': { type: 'boolean' }, 'quiet': { type: 'boolean', short: 'q' }, 'help': { type: 'boolean', short: 'h' },
  'version': { type: 'boolean', short: 'v' },
}

class UsageError extends Error {}
const sleep = ms => new Promise(r => setTimeout(r, ms))
const masked = token => `${token.slice(0, 8)}…`

async function send(url, token, form, timeoutMs) {
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, body: form, signal: AbortSignal.timeout(timeoutMs) })
  const text = await res.text()
  let body
  let json = true
  try {
    body = JSON.parse(text)
  }
  catch {
    // a proxy's or a restarting server's error page: say so in a sentence, never print its HTML
    json = false
    const kind = /html/i.test(res.headers.get('content-type') ?? '') || /^\s*</.test(text) ? 'an HTML page' : 'a body that is not JSON'
    body = { message: `${res.statusText || 'no status text'}, as ${kind} rather than Proofdeck's JSON (a proxy, or a server that is restarting, answered)` }
  }
  return { status: res.status, body, json, retryAfter: retryAfterMs(res.headers.get('retry-after')) }
}

// Answers that mean "not now" (a restart, a deploy, a busy server): retried for --retry-for seconds, not --retries times.
const TRANSIENT = new Set([429, 502, 503, 504])

/** Retry-After in milliseconds (delta-seconds or an HTTP date, RFC 9110 §10.2.3), at most a minute; 0 when absent or unreadable. */
function retryAfterMs(value) {
  if (!value) return 0
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - Date.now()
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 60_000) : 0
}

async function upload(argv, env) {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  if (values.help || !['upload', 'quarantine'].includes(positionals[0])) {
    if (values.version) return console.log(JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version), 0
    console.log(HELP)
    return values.help ? 0 : 2
  }
  const base = (values.url || env.PROOFDECK_URL || '').replace(/\/+$/, '')
  const token = values.token || env.PROOFDECK_TOKEN || ''
  if (!base) throw new UsageError('Set PROOFDECK_URL (or --url) to your Proofdeck server, e.g. https://proofdeck.example.com.')
  if (!token) throw new UsageError('Set PROOFDECK_TOKEN (or --token) to an API key with the ingest scope (Settings → API keys).')
  if (!values.project) throw new UsageError('Say which project the run belongs to: --project <slug>.')
  if (positionals[0] === 'quarantine') return quarantine(base, token, values)
  const { files: found, missing } = expandPatterns(positionals.slice(1))
  // Maven Failsafe's summary sits beside its reports, so `target/failsafe-reports/*.xml` takes it: it is no test report
  const files = found.filter(f => basename(f) !== 'failsafe-summary.xml')
  if (!files.length) {
    throw new UsageError(missing.length ? `No report found at ${missing.join(', ')}.` : 'Give at least one report file: proofdeck upload junit.xml --project web')
  }
  // a module that did not compile writes no reports: the others' results are still the run's (--strict fails the job)
  if (missing.length && !values.quiet) console.error(`warning: no report found at ${missing.join(', ')}; the run holds the ${files.length} file${files.length === 1 ? '' : 's'} found.`)
  if (found.length > files.length && !values.quiet) console.error('Left out failsafe-summary.xml: Maven Failsafe\'s summary, not a test report.')

  const ci = detectCi(env, path => readFileSync(path, 'utf8'))
  const start = pickStartedAt(values['started-at'], ci, Date.now())
  if (start.error) throw new UsageError(start.error)
  if (start.warning) console.error(`warning: ${start.warning}`)
  for (const [flag, what, form] of [['retries', 'a whole number', /^\d+$/], ['retry-for', 'a number of seconds', /^\d+(\.\d+)?$/], ['timeout', 'a number of seconds', /^\d+(\.\d+)?$/]]) {
    if (!form.test(String(values[flag]).trim())) throw new UsageError(`--${flag} is ${what}, not "${values[flag]}".`)
  }
  // a report the server would refuse as a whole is said before anything is sent: with more than one upload's worth of
  // files, the uploads before it would otherwise be stored as a run without it
  const reports = files.map((f) => {
    const content = readFileSync(f)
    if (blank(content)) throw new UsageError(`${f} is empty${content.length ? ' (only whitespace)' : ''}: there is no report in it. Nothing was sent.`)
    return { name: reportName(f), path: f, content }
  })
  // a reporter's zone-less local time east of UTC is read here, in the zone it was written in
  const local = start.startedAt || values['started-at'] === 'report' ? null : localReportStart(reports.map(r => r.content), Date.now())
  if (local && !values.quiet) console.error(`The reports' start ${local.written} has no zone and is ahead of UTC: read in this machine's zone (${local.offset}), ${local.startedAt}.`)
  // an empty value is unset (a templated --branch "$EMPTY"): what the CI says stands
  const flag = key => values[key] || undefined
  const branch = flag('branch') ?? ci.branch
  const commit = flag('commit') ?? ci.commit
  // One run key for every retry of this invocation, so a retried upload can never make a second run. Outside a CI the
  // CLI knows, the key is the content's: running the same command again is a retry too. With --environment a CI's key
  // is that environment's: the legs of a matrix that test one suite in several configurations are runs of their own,
  // not shards whose outcomes merge.
  const environment = flag('environment')
  const ciKey = ci.runKey && environment ? `${ci.runKey}-${environment.replace(/[^\w.-]+/g, '_')}` : ci.runKey
  const runKey = flag('run-key') || ciKey || contentKey(values.project, branch, commit, environment, reports)
  const job = flag('job') ? jobOf(flag('job'), '--job') : env.PROOFDECK_JOB ? jobOf(env.PROOFDECK_JOB, 'PROOFDECK_JOB') : ci.job
  const query = new URLSearchParams(Object.entries({
    project: values.project, branch, defaultBranch: flag('default-branch') ?? ci.defaultBranch, commit,
    commitMessage: flag('commit-message') ?? ci.commitMessage, buildUrl: flag('build-url') ?? ci.buildUrl,
    runKey, environment, startedAt: start.startedAt ?? local?.startedAt, ciAttempt: ci.ciAttempt,
    // CircleCI's containers are shards of their job: in a run key other jobs may share (--run-key), only with the job
    // named, each job's counted apart
    shard: flag('shard') ? shardOf(flag('shard'), '--shard') : env.PROOFDECK_SHARD ? shardOf(env.PROOFDECK_SHARD, 'PROOFDECK_SHARD') : flag('run-key') && !job ? undefined : ci.shard,
    job,
  }).filter(([, v]) => v))
  const caps = attachmentCaps(values)
  const batches = batchesOf(reports)
  if (batches.length > 1 && !values.quiet) console.error(`${reports.length} files: sending them in ${batches.length} uploads of at most ${BATCH_FILES} files (run key ${runKey})`)
  const receipts = []
  for (const batch of batches) {
    const form = new FormData()
    for (const f of batch) form.append('file', new Blob([f.content]), f.name)
    if (caps) for (const a of await attachmentsOf(batch, caps, values.quiet)) form.append('attachment', a.blob, a.ref)
    const receipt = await sendWithRetries(`${base}/api/v1/runs?${query}`, token, form, values, env, runKey)
    if (!receipt) {
      const sent = receipts.reduce((n, r) => n + r.files.length, 0)
      // the uploads before this one are a run already: say which, and how to add the rest to it
      if (receipts.length) console.error(`The first ${sent} of ${reports.length} files are stored as run #${receipts.at(-1).runNumber} (${receipts.at(-1).url}). To add the rest to that run once fixed, upload again with --run-key ${runKey}.`)
      return 1
    }
    receipts.push(receipt)
  }
  const receipt = combined(receipts)
  const owners = values['no-codeowners'] ? null : findCodeowners(process.cwd())
  if (owners) {
    const line = await sendCodeowners({ base, token, project: values.project, path: owners, timeoutMs: Number(values.timeout) * 1000 })
    if (line.startsWith('warning') || !values.quiet) console.error(line)
  }
  if (values.json) console.log(JSON.stringify(receipt, null, 2))
  else if (!values.quiet) console.log(renderReceipt(receipt))
  const markdown = renderSummary(receipt)
  for (const target of [values.summary, env.GITHUB_STEP_SUMMARY].filter(Boolean)) appendFileSync(target, `${markdown}\n`)
  await comment(receipt, markdown, values, env)
  if (values.strict && (receipt.rejected.length || missing.length)) return 1
  if (!values['fail-on-blocking']) return 0
  const verdict = blockingVerdict(receipt)
  if (verdict.line) console.error(verdict.line)
  return verdict.code
}

/** The summary as the pull/merge request's comment, unless turned off; one line either way (a warning when it failed). */
async function comment(receipt, markdown, values, env) {
  if (values['no-comment'] || ['0', 'false', 'no', 'off'].includes((env.PROOFDECK_COMMENT ?? '').toLowerCase())) return
  const target = commentTarget(env)
  if (!target) return
  const job = commentJob(env, values.environment || undefined, !!receipt.shards)
  const legacy = job ? commentMarker(receipt.project) : undefined
  const marker = commentMarker(receipt.project, job)
  const { ok, line } = await upsertComment(target, marker, markdown, Number(values.timeout) * 1000, legacy, receipt)
  if (!ok || !values.quiet) console.error(line)
}

function quarantine(base, token, values) {
  if (!['list', 'json'].includes(values.format)) throw new UsageError(`--format is list or json, not "${values.format}".`)
  const variant = values.variant || undefined
  return printQuarantine({ base, token, project: values.project, format: values.format, variant, timeoutMs: Number(values.timeout) * 1000 })
}

/** The attachment caps from the flags, or null with --no-attachments. */
function attachmentCaps(values) {
  if (values['no-attachments']) return null
  const mb = (flag) => {
    const n = Number(values[flag])
    if (!(n > 0)) throw new UsageError(`--${flag} is a positive number of megabytes, not "${values[flag]}".`)
    return n * 1024 * 1024
  }
  return { maxFileBytes: mb('max-attachment-mb'), maxTotalBytes: mb('max-attachments-mb'), maxFiles: MAX_ATTACHMENTS }
}

/** The files a batch's reports name, read from disk as the upload goes; what is missing or left out is said, never fatal. */
async function attachmentsOf(batch, caps, quiet) {
  const { files, missing, skipped } = collectAttachments(batch, caps)
  if (missing.length) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '')
    console.error(`warning: ${missing.length} attachment file${missing.length > 1 ? 's' : ''} named in the reports not found, sent without: ${shown}`)
  }
  for (const s of skipped) console.error(`warning: attachment ${s.ref} left out: ${s.why}`)
  if (files.length && !quiet) console.error(`attachments: ${files.length} files, ${(files.reduce((n, f) => n + f.bytes, 0) / 1048576).toFixed(1)} MB`)
  // Node ≥ 19.8 reads a file-backed Blob from disk as it is sent
  const blobOf = async path => fs.openAsBlob ? fs.openAsBlob(path) : new Blob([readFileSync(path)])
  return Promise.all(files.map(async f => ({ ref: f.ref, blob: await blobOf(f.path) })))
}

/** Attachment files per upload: the server's default PROOFDECK_MAX_ATTACHMENTS. */
const MAX_ATTACHMENTS = 500

/**
 * Files per upload, and bytes: the server's defaults (PROOFDECK_MAX_UPLOAD_PARTS, PROOFDECK_MAX_UPLOAD_MB) with room
 * to spare. More files go in several uploads with the same run key, which the server merges into one run.
 */
const BATCH_FILES = 50
const BATCH_BYTES = 40 * 1024 * 1024

function batchesOf(reports) {
  const batches = [[]]
  let bytes = 0
  for (const r of reports) {
    const current = batches.at(-1)
    if (current.length && (current.length >= BATCH_FILES || bytes + r.content.length > BATCH_BYTES)) {
      batches.push([])
      bytes = 0
    }
    batches.at(-1).push(r)
    bytes += r.content.length
  }
  return batches
}

/** One receipt for several uploads of a run: the last one's run totals, and what each upload noted. */
function combined(receipts) {
  const last = receipts.at(-1)
  const all = key => receipts.flatMap(r => r[key])
  const mine = receipts.every(r => r.failures?.thisUpload) && receipts.map(r => r.failures.thisUpload)
    .reduce((a, b) => ({ blocking: a.blocking + b.blocking, quarantined: a.quarantined + b.quarantined }))
  // the run's outage uploads as the last answer lists them, each of this invocation's uploads marked as its own
  const ours = new Set(receipts.flatMap(r => (r.outages ?? []).filter(o => o.thisUpload).map(o => o.upload)))
  const outages = last.outages?.map(o => ({ ...o, thisUpload: ours.has(o.upload) })).sort((a, b) => b.thisUpload - a.thisUpload)
  return {
    ...last, files: all('files'), ...mine ? { failures: { ...last.failures, thisUpload: mine } } : {}, ...outages ? { outages } : {},
    rejected: all('rejected'), errors: [...new Set(all('errors'))], newClusters: all('newClusters'),
    newlyFlaky: all('newlyFlaky'), merged: { ...last.merged, duplicates: receipts.flatMap(r => r.merged.duplicates) },
  }
}

/**
 * A report's name as the server stores it: its path from the working directory when it is under it
 * (`api/build/test-results/test/TEST-com.example.AppTests.xml`: the module and the build that wrote it, which the
 * run page shows and a diagnosis reads to say `./gradlew :api:test` or `mvn -pl api`), else its file name.
 */
function reportName(file) {
  const path = relative(process.cwd(), file)
  return path && !path.startsWith('..') && !isAbsolute(path) ? path.split(sep).join('/') : basename(file)
}

/** --shard (or PROOFDECK_SHARD, named by `from`) as the server takes it (`2/4`, 1 ≤ 2 ≤ 4 ≤ 1000), or a usage error. */
function shardOf(value, from) {
  if (!value) return undefined
  const m = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(value)
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]) || Number(m[2]) > 1000) {
    throw new UsageError(`${from} ${JSON.stringify(value)}: give this job's shard and the run's number of shards, like 2/4 (from 1/1 to 1000/1000).`)
  }
  return `${Number(m[1])}/${Number(m[2])}`
}

/** --job (or PROOFDECK_JOB, named by `from`) as the server takes it (one line, at most MAX_JOB characters), or a usage error. */
function jobOf(value, from) {
  const job = value.trim()
  // eslint-disable-next-line no-control-regex
  if (job.length > MAX_JOB || /[\x00-\x1f\x7f]/.test(job)) {
    throw new UsageError(`${from}: give the job's name in at most ${MAX_JOB} characters, on one line (the one its shards share, like e2e).`)
  }
  return job || undefined
}

/** Whether a file holds nothing but whitespace (read up to its first other byte: a report's is its first). */
function blank(content) {
  for (const b of content) if (b !== 0x20 && b !== 0x09 && b !== 0x0A && b !== 0x0D) return false
  return true
}

/** A run key from what was uploaded: the project, branch, commit, environment and the files' contents, in any order. */
function contentKey(project, branch, commit, environment, reports) {
  const files = reports.map(r => createHash('sha256').update(r.content).digest('hex')).sort()
  return `cli-${createHash('sha256').update([project, branch ?? '', commit ?? '', environment ?? '', ...files].join('\n')).digest('hex').slice(0, 24)}`
}

/**
 * Sends one upload: an unreachable server, 429, 502, 503 and 504 are retried until --retry-for seconds have passed
 * (a dev server or a deploy restarting), other 5xx --retries times; the backoff doubles up to 15 s, and a Retry-After
 * replaces it. The receipt, or null once it has said why not.
 */
async function sendWithRetries(url, token, form, values, env, runKey) {
  const retries = Math.max(0, Number(values.retries) || 0)
  const windowMs = Math.max(0, Number(values['retry-for']) || 0) * 1000
  const baseDelay = Number(env.PROOFDECK_RETRY_DELAY_MS || 1000)
  const started = Date.now()
  let last = 'no attempt made'
  let wait = 0
  let attempts = 0
  let otherFailures = 0
  const again = transient => transient ? Date.now() - started < windowMs || attempts <= retries : otherFailures <= retries
  for (;;) {
    if (attempts > 0) await sleep(wait || Math.min(baseDelay * 2 ** (attempts - 1), baseDelay * 15) * (0.75 + Math.random() * 0.5))
    wait = 0
    attempts++
    let res
    try {
      res = await send(url, token, form, Number(values.timeout) * 1000)
    }
    catch (err) {
      last = `cannot reach ${url.slice(0, url.indexOf('/api/v1/runs'))}: ${err.cause?.code ?? err.name ?? err.message}`
      console.error(`attempt ${attempts}: ${last}`)
      if (!again(true)) break
      continue
    }
    if ((res.status === 200 || res.status === 201) && res.json) return res.body
    last = `${res.status}: ${res.body.message ?? 'no message'}`
    if (res.status < 500 && res.status !== 429) {
      console.error(`Upload rejected (${last})`)
      return null
    }
    const transient = TRANSIENT.has(res.status)
    if (!transient) otherFailures++
    // a busy (429) or unavailable (503) server says when to come back: that wait replaces the backoff
    wait = res.retryAfter
    const more = again(transient)
    const next = more && wait ? `; retrying in ${Math.ceil(wait / 1000)} s as the server asks` : ''
    console.error(`attempt ${attempts}: server answered ${last}${next}`)
    if (!more) break
  }
  console.error(`Upload failed after ${attempts} attempts (${last}). Re-running this command is safe: run key ${runKey}.`)
  return null
}

upload(process.argv.slice(2), process.env).then(
  code => process.exit(code),
  (err) => {
    const token = process.env.PROOFDECK_TOKEN
    const message = token ? String(err.message).replaceAll(token, masked(token)) : err.message
    const usage = err instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')
    console.error(usage ? message : `proofdeck: ${message}`)
    process.exit(usage ? 2 : 1)
  },
)
