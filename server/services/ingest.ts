import { createHash, randomBytes } from 'node:crypto'
import { and, eq, inArray, sql } from 'drizzle-orm'
import { useDb, schema, type Tx } from '../db'
import { rowsJson, rowsOf } from '../db/sql'
import { parseReport } from '../ingest'
import { ReportParseError, type ParsedAttempt, type ParsedReport, type ParsedResult } from '../ingest/types'
import type { ReportFormat, RunStatus, TestStatus } from '../../shared/constants'
import { links } from '../../shared/links'
import type { IngestMeta } from '../../shared/schemas/ingest'
import type { IngestReceipt, ReceiptFile, RunCounts } from '../../shared/types/ingest'
import { notFound, unprocessable } from '../utils/errors'
import { authorize } from './policy'
import { fingerprintFailure } from '../analysis/fingerprint'
import { applyClusterHits, markInfrastructureClusters, type ClusterHit, type NewCluster } from './clustering'
import { INFRA_MIN_TESTS, infraShare, refreshFlakiness, type NewlyFlaky } from './flakiness'
import { diagnoseClusters } from './diagnoses'
import type { Scope } from './scope'

const { projects, projectMemberships, runs, runUploads, testCases, testResults, testAttempts } = schema

export interface UploadedFile {
  name: string
  content: Uint8Array
}

interface ParsedFile {
  name: string
  hash: string
  bytes: number
  report: ParsedReport
}

/** A test's outcome in this upload after duplicates were folded into attempts. */
interface MergedResult {
  identityHash: string
  result: ParsedResult
  occurrences: number
}

const CHUNK = 1000
/** Attempts stored per result: a report that repeats one test thousands of times keeps its last tries. */
const MAX_ATTEMPTS = 100

/** An int4 column value, or null for anything that is not one (hostile reports write `time="1e12"`). */
const int4 = (n: number | null | undefined) => n == null || !Number.isFinite(n) || Math.abs(n) > 2_147_483_647 ? null : Math.round(n)

/** Time-ordered UUID (v7): result ids arrive in insert order, so the primary-key index grows at its right edge. */
let pool = Buffer.alloc(0)
export function uuidv7(): string {
  if (pool.length < 16) pool = randomBytes(16 * 1024)
  const b = Buffer.from(pool.subarray(0, 16))
  pool = pool.subarray(16)
  const ms = Date.now()
  b.writeUIntBE(ms, 0, 6)
  b[6] = (b[6]! & 0x0F) | 0x70
  b[8] = (b[8]! & 0x3F) | 0x80
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex')

/** The stable identity of a test: project-relative hash of file + suite path + title + variant. */
export function testIdentity(r: Pick<ParsedResult, 'file' | 'suitePath' | 'title' | 'variant'>): string {
  return sha256(JSON.stringify([r.file ?? '', r.suitePath, r.title, r.variant ?? ''])).slice(0, 32)
}

/** Human name of a test for receipts: "suite › title [variant]". */
export function testLabel(r: Pick<ParsedResult, 'suitePath' | 'title' | 'variant'>): string {
  return [...r.suitePath, r.title].join(' › ') + (r.variant ? ` [${r.variant}]` : '')
}

const FAILING: ReadonlySet<TestStatus> = new Set(['failed', 'errored'])

/**
 * Folds several executions of one test (duplicate identities in an upload, or the same test in two shards) into
 * one result: attempts in order, the final status is the last non-skipped attempt's, and a pass after a failure
 * is a flaky pass.
 */
export function mergeExecutions(executions: ParsedResult[]): ParsedResult {
  if (executions.length === 1) return executions[0]!
  const attempts: ParsedAttempt[] = executions.flatMap(e => e.attempts)
  const decisive = [...attempts].reverse().find(a => a.status !== 'skipped') ?? attempts[attempts.length - 1]!
  const status = decisive.status
  const failedOnce = attempts.some(a => FAILING.has(a.status))
  const lastFailure = [...executions].reverse().find(e => e.errorMessage || e.errorStack)
  const last = executions[executions.length - 1]!
  return {
    ...last,
    status,
    flaky: status === 'passed' && (failedOnce || executions.some(e => e.flaky)),
    durationMs: attempts.reduce<number | null>((sum, a) => a.durationMs == null ? sum : (sum ?? 0) + a.durationMs, null),
    attempts,
    errorMessage: lastFailure?.errorMessage ?? null,
    errorStack: lastFailure?.errorStack ?? null,
    stdout: executions.map(e => e.stdout).filter(Boolean).join('\n') || null,
    stderr: executions.map(e => e.stderr).filter(Boolean).join('\n') || null,
  }
}

function parseFiles(files: UploadedFile[], format: ReportFormat | undefined): ParsedFile[] {
  return files.map((f) => {
    try {
      const text = new TextDecoder('utf-8').decode(f.content)
      return { name: f.name, hash: sha256(f.content), bytes: f.content.byteLength, report: parseReport(text, format) }
    }
    catch (err) {
      if (!(err instanceof ReportParseError)) throw err
      const where = err.line != null ? ` (line ${err.line}${err.column != null ? `, column ${err.column}` : ''})` : ''
      throw unprocessable(`${f.name}: ${err.message}${where}`, err.code, { file: f.name, line: err.line, column: err.column })
    }
  })
}

/** Groups the results of the new files by identity; duplicates become attempts of one result. */
function mergeUpload(files: ParsedFile[]): { merged: MergedResult[], rejected: { item: string, reason: string }[] } {
  const byIdentity = new Map<string, ParsedResult[]>()
  const rejected: { item: string, reason: string }[] = []
  for (const file of files) {
    for (const result of file.report.results) {
      if (!result.title.trim()) {
        rejected.push({ item: `${file.name}: a test in ${result.suitePath.join(' › ') || 'the root suite'}`, reason: 'it has no name, so it cannot be tracked across runs' })
        continue
      }
      const id = testIdentity(result)
      const list = byIdentity.get(id)
      if (list) list.push(result)
      else byIdentity.set(id, [result])
    }
  }
  const merged = [...byIdentity].map(([identityHash, list]) => ({ identityHash, result: mergeExecutions(list), occurrences: list.length }))
  return { merged, rejected }
}

function runStatusOf(c: RunCounts, errors: number): RunStatus {
  if (c.failed + c.errored > 0 || errors > 0) return 'failed'
  return c.tests === 0 ? 'empty' : 'passed'
}

function ts(iso: string | null | undefined): Date | null {
  if (!iso) return null
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? null : d
}

async function resolveProject(tx: Tx, scope: Scope, slug: string, defaultBranch: string | undefined) {
  const [existing] = await tx.select().from(projects).where(eq(projects.slug, slug)).limit(1)
  const visible = existing && (scope.projectIds === null || scope.projectIds.includes(existing.id))
  if (existing) {
    if (!visible) throw notFound(`No project "${slug}" that this key can write to.`)
    return existing
  }
  if (scope.boundProjectId) throw notFound(`No project "${slug}" that this key can write to: the key is bound to another project.`)
  const [created] = await tx.insert(projects).values({ slug, name: slug, defaultBranch: defaultBranch ?? 'main' })
    .onConflictDoNothing().returning()
  const project = created ?? (await tx.select().from(projects).where(eq(projects.slug, slug)).limit(1))[0]!
  if (scope.role !== 'admin') await tx.insert(projectMemberships).values({ userId: scope.userId, projectId: project.id }).onConflictDoNothing()
  return project
}

/**
 * Ingests one upload (one or more report files) into one run, atomically and idempotently: the same run key and
 * content again changes nothing; a new file under an existing run key is a new shard of that run.
 */
export async function ingestRun(scope: Scope, meta: IngestMeta, files: UploadedFile[], baseUrl: string): Promise<{ created: boolean, receipt: IngestReceipt }> {
  authorize(scope, 'ingest')
  const parsed = parseFiles(files, meta.format)
  const reportMeta = parsed.find(f => Object.keys(f.report.metadata).length)?.report.metadata ?? {}
  const branch = meta.branch ?? reportMeta.branch ?? null
  const commit = meta.commit ?? reportMeta.commit?.toLowerCase() ?? null
  // Without a run key, the content is the key: re-sending the same files is a retry, not a new run.
  const runKey = meta.runKey ?? `auto-${sha256([branch, commit, ...parsed.map(f => f.hash).sort()].join('\n')).slice(0, 32)}`
  const format = parsed[0]?.report.format ?? 'junit'
  const startedAt = ts(meta.startedAt) ?? ts(parsed.map(f => f.report.startedAt).filter(Boolean).sort()[0]) ?? new Date()

  const db = await useDb()
  let touchedClusters: string[] = []
  const outcome = await db.transaction(async (tx) => {
    const project = await resolveProject(tx, scope, meta.project, branch ?? undefined)
    const inserted = await tx.insert(runs).values({
      projectId: project.id, runKey, branch, commitSha: commit, commitMessage: meta.commitMessage ?? reportMeta.commitMessage ?? null,
      buildUrl: meta.buildUrl ?? reportMeta.buildUrl ?? null, environment: meta.environment ?? reportMeta.environment ?? null,
      status: 'empty', format, startedAt,
    }).onConflictDoNothing().returning({ id: runs.id })
    // Locks the run: concurrent shards of one run are applied one after the other.
    const [run] = await tx.select().from(runs).where(and(eq(runs.projectId, project.id), eq(runs.runKey, runKey))).for('update')
    if (!run) throw new Error('run row vanished inside its transaction')

    const known = new Set((await tx.select({ hash: runUploads.contentHash }).from(runUploads)
      .where(and(eq(runUploads.runId, run.id), inArray(runUploads.contentHash, parsed.map(f => f.hash))))).map(r => r.hash))
    const seen = new Set<string>()
    const fresh = parsed.filter(f => !known.has(f.hash) && !seen.has(f.hash) && seen.add(f.hash))
    const fileRows: ReceiptFile[] = parsed.map(f => ({ name: f.name, format: f.report.format, results: f.report.results.length, status: fresh.includes(f) ? 'ingested' : 'duplicate' }))

    let duplicates: { test: string, occurrences: number }[] = []
    let rejected: { item: string, reason: string }[] = []
    let newClusters: NewCluster[] = []
    let newlyFlaky: NewlyFlaky[] = []
    let stored: Awaited<ReturnType<typeof refreshRunCounts>>
    if (fresh.length) {
      const { merged, rejected: r } = mergeUpload(fresh)
      rejected = r
      duplicates = merged.filter(m => m.occurrences > 1).map(m => ({ test: testLabel(m.result), occurrences: m.occurrences }))
      const analysis = await storeResults(tx, project.id, run, merged, inserted.length > 0)
      touchedClusters = analysis.touchedClusters
      const newErrors = fresh.flatMap(f => f.report.errors)
      const duration = fresh.map(f => f.report.durationMs).map(int4).filter((d): d is number => d != null)
      await tx.update(runs).set({
        errors: [...run.errors, ...newErrors],
        durationMs: duration.length ? Math.max(run.durationMs ?? 0, ...duration) : run.durationMs,
        updatedAt: new Date(),
      }).where(eq(runs.id, run.id))
      stored = await refreshRunCounts(tx, run.id)
      newClusters = analysis.newClusters
      if (stored.infra) {
        await markInfrastructureClusters(tx, newClusters.map(c => c.id))
        newClusters = newClusters.map(c => ({ ...c, category: 'infrastructure' }))
      }
      // In an infrastructure run a failure says nothing about the test, so only tests already under watch move.
      const candidates = stored.infra ? analysis.watched : [...new Set([...analysis.watched, ...analysis.failingOrFlaky])]
      newlyFlaky = await refreshFlakiness(tx, candidates, id => analysis.labels.get(id) ?? '')
      // One upload row per file, all carrying the upload's notes so a retry's receipt can repeat them.
      await tx.insert(runUploads).values(fresh.map((f, i) => ({
        runId: run.id, contentHash: f.hash, fileName: f.name, format: f.report.format, results: f.report.results.length, bytes: f.bytes,
        notes: i === 0 ? { duplicates, rejected, newClusters, newlyFlaky } : { duplicates: [], rejected: [] },
      })))
    }
    else {
      const notes = await tx.select({ notes: runUploads.notes }).from(runUploads)
        .where(and(eq(runUploads.runId, run.id), inArray(runUploads.contentHash, parsed.map(f => f.hash))))
      duplicates = notes.flatMap(n => n.notes.duplicates)
      rejected = notes.flatMap(n => n.notes.rejected)
      newClusters = notes.flatMap(n => n.notes.newClusters ?? [])
      newlyFlaky = notes.flatMap(n => n.notes.newlyFlaky ?? [])
      stored = await refreshRunCounts(tx, run.id)
    }

    const [shards] = await tx.select({ n: sql<number>`count(*)::int` }).from(runUploads).where(eq(runUploads.runId, run.id))
    return {
      created: fresh.length > 0,
      receipt: {
        runId: run.id,
        url: `${baseUrl}${links.run(run.id)}`,
        project: project.slug,
        status: stored.status,
        branch: run.branch,
        commit: run.commitSha,
        runKey,
        counts: stored.counts,
        format,
        files: fileRows,
        merged: { shards: shards?.n ?? 0, duplicates },
        rejected,
        errors: stored.errors.map(e => e.message),
        newClusters,
        newlyFlaky,
      },
    }
  })
  // After the commit, off the request path (an LLM may take seconds): clusters with new evidence get a diagnosis.
  if (touchedClusters.length) void diagnoseClusters(touchedClusters)
  return outcome
}

/** Recomputes a run's counts and status from the rows actually stored. */
async function refreshRunCounts(tx: Tx, runId: string) {
  const rows = await tx.select({ status: testResults.status, flaky: testResults.flaky, n: sql<number>`count(*)::int` })
    .from(testResults).where(eq(testResults.runId, runId)).groupBy(testResults.status, testResults.flaky)
  const counts: RunCounts = { tests: 0, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 }
  for (const r of rows) {
    counts.tests += r.n
    counts[r.status] += r.n
    if (r.flaky) counts.flaky += r.n
  }
  const [run] = await tx.select({ errors: runs.errors }).from(runs).where(eq(runs.id, runId))
  const errors = run?.errors ?? []
  const status = runStatusOf(counts, errors.length)
  const executed = counts.tests - counts.skipped
  const infra = executed >= INFRA_MIN_TESTS && (counts.failed + counts.errored) / executed >= infraShare()
  await tx.update(runs).set({
    status, infra, total: counts.tests, passed: counts.passed, failed: counts.failed, errored: counts.errored,
    skipped: counts.skipped, flaky: counts.flaky,
  }).where(eq(runs.id, runId))
  return { counts, status, errors, infra }
}

type RunRow = typeof runs.$inferSelect

/**
 * Stores the merged results of a new upload: folds in results this run already holds for the same tests (an
 * earlier shard), upserts the test cases together with their rollup counters, inserts results and attempts.
 */
async function storeResults(tx: Tx, projectId: string, run: RunRow, merged: MergedResult[], isNewRun: boolean) {
  const watched: string[] = []
  const previous = isNewRun ? new Map<string, ParsedResult>() : await loadRunResults(tx, run.id, merged.map(m => m.identityHash))
  for (const m of merged) {
    const before = previous.get(m.identityHash)
    if (before) {
      m.result = mergeExecutions([before, m.result])
      m.occurrences += 1
    }
  }

  const at = run.startedAt.toISOString()
  // Known test cases by identity hash alone (the steady state of CI: small payload, index lookups); only new ones
  // travel with their names, inserted without rewriting anything known.
  const caseIds = new Map<string, string>()
  for (let i = 0; i < merged.length; i += CHUNK * 10) {
    const hashes = merged.slice(i, i + CHUNK * 10).map(m => m.identityHash)
    const known = rowsOf<{ id: string, identity_hash: string, watched: boolean }>(await tx.execute(sql`
      select id, identity_hash, flaky_label <> 'stable' or flaky_score > 0 as watched from test_cases
      where project_id = ${projectId}::uuid and identity_hash = any(${`{${hashes.join(',')}}`}::text[])`))
    for (const r of known) {
      caseIds.set(r.identity_hash, r.id)
      if (r.watched) watched.push(r.id)
    }
  }
  const fresh = merged.filter(m => !caseIds.has(m.identityHash))
  for (let i = 0; i < fresh.length; i += CHUNK) {
    const rows = fresh.slice(i, i + CHUNK).map(m => ({
      identity_hash: m.identityHash, file: m.result.file, suite_path: m.result.suitePath, title: m.result.title, variant: m.result.variant,
    }))
    const inserted = rowsOf<{ id: string, identity_hash: string }>(await tx.execute(sql`
      insert into test_cases (project_id, identity_hash, file, suite_path, title, variant)
      select ${projectId}::uuid, x.identity_hash, x.file, x.suite_path, x.title, x.variant
      from json_to_recordset(${rowsJson(rows)}::json) as x(identity_hash text, file text, suite_path text[], title text, variant text)
      on conflict (project_id, identity_hash) do nothing
      returning id, identity_hash`))
    for (const r of inserted) caseIds.set(r.identity_hash, r.id)
    // A concurrent upload inserted the rest after this statement's snapshot: read them now.
    const raced = rows.filter(r => !caseIds.has(r.identity_hash)).map(r => r.identity_hash)
    if (raced.length) {
      const found = await tx.select({ id: testCases.id, identityHash: testCases.identityHash }).from(testCases)
        .where(and(eq(testCases.projectId, projectId), inArray(testCases.identityHash, raced)))
      for (const r of found) caseIds.set(r.identityHash, r.id)
    }
  }

  // Failures join their clusters; a shard merge first takes back what the replaced results counted.
  const hits: ClusterHit[] = []
  const fingerprints = new Map<string, string>()
  const hit = (identityHash: string, r: ParsedResult, delta: 1 | -1) => {
    if (!FAILING.has(r.status)) return
    const fp = fingerprintFailure({ message: r.errorMessage, stack: r.errorStack })
    if (!fp) return
    if (delta > 0) fingerprints.set(identityHash, fp.fingerprint)
    hits.push({ testCaseId: caseIds.get(identityHash)!, fp, message: r.errorMessage, stack: r.errorStack, delta })
  }
  for (const [identityHash, before] of previous) hit(identityHash, before, -1)
  for (const m of merged) hit(m.identityHash, m.result, 1)
  const { clusterIds, created } = await applyClusterHits(tx, { projectId, runId: run.id, startedAt: run.startedAt, branch: run.branch }, hits)

  // Counters change only where something failed or flaked, or where a shard merge changed an earlier outcome.
  const deltas = merged.flatMap((m) => {
    const before = previous.get(m.identityHash)
    const failed = Number(FAILING.has(m.result.status)) - Number(before ? FAILING.has(before.status) : 0)
    const flaky = Number(m.result.flaky) - Number(before?.flaky ?? 0)
    return failed || flaky || FAILING.has(m.result.status) ? [{ id: caseIds.get(m.identityHash)!, failed, flaky, failing: FAILING.has(m.result.status) }] : []
  })
  for (let i = 0; i < deltas.length; i += CHUNK) {
    await tx.execute(sql`
      update test_cases tc set
        failed_runs = tc.failed_runs + x.failed,
        flaky_runs = tc.flaky_runs + x.flaky,
        last_failure_at = case when x.failing then greatest(tc.last_failure_at, ${at}::timestamptz) else tc.last_failure_at end
      from json_to_recordset(${rowsJson(deltas.slice(i, i + CHUNK))}::json) as x(id uuid, failed int, flaky int, failing boolean)
      where tc.id = x.id`)
  }
  if (previous.size) {
    await tx.delete(testResults).where(and(eq(testResults.runId, run.id), inArray(testResults.testCaseId, [...previous.keys()].map(h => caseIds.get(h)!))))
  }

  const attemptRows: object[] = []
  const resultRows = merged.map((m) => {
    const r = m.result
    const id = uuidv7()
    if (r.attempts.length > 1) {
      const skip = Math.max(0, r.attempts.length - MAX_ATTEMPTS)
      r.attempts.slice(skip).forEach((a, i) => attemptRows.push({
        result_id: id, attempt: skip + i + 1, status: a.status, duration_ms: int4(a.durationMs),
        error_message: a.errorMessage, error_stack: a.errorStack, started_at: a.startedAt,
      }))
    }
    return {
      id, test_case_id: caseIds.get(m.identityHash)!, status: r.status, flaky: r.flaky,
      duration_ms: int4(r.durationMs), attempt_count: Math.min(Math.max(1, r.attempts.length), 32_767),
      error_message: r.errorMessage, error_stack: r.errorStack, stdout: r.stdout, stderr: r.stderr, line: int4(r.line),
      steps: r.steps.length ? r.steps : null, annotations: r.annotations.length ? r.annotations : null,
      attachments: r.attachments.length ? r.attachments : null, tags: r.tags.length ? r.tags : null,
      properties: Object.keys(r.properties).length ? r.properties : null,
      fingerprint: fingerprints.get(m.identityHash) ?? null, cluster_id: clusterIds.get(fingerprints.get(m.identityHash) ?? '') ?? null,
    }
  })
  for (let i = 0; i < resultRows.length; i += CHUNK) {
    await tx.execute(sql`
      insert into test_results (id, run_id, test_case_id, project_id, run_started_at, status, flaky, duration_ms, attempt_count,
        error_message, error_stack, stdout, stderr, line, steps, annotations, attachments, tags, properties, fingerprint, cluster_id)
      select x.id, ${run.id}::uuid, x.test_case_id, ${projectId}::uuid, ${at}::timestamptz, x.status, x.flaky, x.duration_ms, x.attempt_count,
        x.error_message, x.error_stack, x.stdout, x.stderr, x.line, x.steps, x.annotations, x.attachments, x.tags, x.properties,
        x.fingerprint, x.cluster_id
      from json_to_recordset(${rowsJson(resultRows.slice(i, i + CHUNK))}::json) as x(id uuid, test_case_id uuid, status test_status,
        flaky boolean, duration_ms int, attempt_count smallint, error_message text, error_stack text, stdout text, stderr text,
        line int, steps jsonb, annotations jsonb, attachments jsonb, tags text[], properties jsonb, fingerprint text, cluster_id uuid)`)
  }
  for (let i = 0; i < attemptRows.length; i += CHUNK * 2) {
    await tx.execute(sql`
      insert into test_attempts (result_id, attempt, status, duration_ms, error_message, error_stack, started_at)
      select x.result_id, x.attempt, x.status, x.duration_ms, x.error_message, x.error_stack, x.started_at
      from json_to_recordset(${rowsJson(attemptRows.slice(i, i + CHUNK * 2))}::json) as x(result_id uuid, attempt int,
        status test_status, duration_ms int, error_message text, error_stack text, started_at timestamptz)`)
  }

  const labels = new Map<string, string>()
  const failingOrFlaky: string[] = []
  for (const m of merged) {
    const id = caseIds.get(m.identityHash)!
    labels.set(id, testLabel(m.result))
    if (m.result.flaky || FAILING.has(m.result.status) || previous.has(m.identityHash)) failingOrFlaky.push(id)
  }
  const touchedClusters = [...new Set(hits.filter(h => h.delta > 0).map(h => clusterIds.get(h.fp.fingerprint)!))]
  return { newClusters: created, touchedClusters, watched, failingOrFlaky, labels }
}

/** Results (with attempts) this run already stores for these test identities, as parsed results to merge with. */
async function loadRunResults(tx: Tx, runId: string, identityHashes: string[]): Promise<Map<string, ParsedResult>> {
  const out = new Map<string, ParsedResult>()
  for (let i = 0; i < identityHashes.length; i += CHUNK * 5) {
    const rows = await tx.select({ r: testResults, identityHash: testCases.identityHash }).from(testResults)
      .innerJoin(testCases, eq(testCases.id, testResults.testCaseId))
      .where(and(eq(testResults.runId, runId), inArray(testCases.identityHash, identityHashes.slice(i, i + CHUNK * 5))))
    if (!rows.length) continue
    const attempts = await tx.select().from(testAttempts).where(inArray(testAttempts.resultId, rows.map(x => x.r.id))).orderBy(testAttempts.attempt)
    for (const { r: row, identityHash } of rows) {
      const own = attempts.filter(a => a.resultId === row.id).map(a => ({
        status: a.status, durationMs: a.durationMs, errorMessage: a.errorMessage, errorStack: a.errorStack,
        startedAt: a.startedAt?.toISOString() ?? null, stdout: null, stderr: null,
      }))
      out.set(identityHash, {
        file: null, line: row.line, suitePath: [], title: '', variant: null, status: row.status, flaky: row.flaky, durationMs: row.durationMs,
        attempts: own.length ? own : [{ status: row.status, durationMs: row.durationMs, errorMessage: row.errorMessage, errorStack: row.errorStack, startedAt: null, stdout: null, stderr: null }],
        errorMessage: row.errorMessage, errorStack: row.errorStack, stdout: row.stdout, stderr: row.stderr,
        steps: row.steps ?? [], annotations: row.annotations ?? [], attachments: row.attachments ?? [], tags: row.tags ?? [], properties: row.properties ?? {},
      })
    }
  }
  return out
}
