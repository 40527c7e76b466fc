import { and, asc, eq, sql, type SQL } from 'drizzle-orm'
import { QUARANTINE_RELEASE_PASSES } from '#shared/constants'
import { namedApart } from '#shared/test-names'
import type { QuarantineBody } from '#shared/schemas/quarantine'
import type { IngestReceipt } from '#shared/types/ingest'
import type { QuarantineList, QuarantineView } from '#shared/types/quarantine'
import { useDb, schema, type Tx } from '../db'
import { plainArray, rowsOf } from '../db/sql'
import { notFound } from '../utils/errors'
import { authorize } from './policy'
import { requireProject } from './projects'
import { inScope, type Scope } from './scope'

/**
 * Quarantine: a test case taken out of the blocking set by a member, with who, when, why and an optional expiry.
 * An expired row no longer applies; every read and the ingest receipt decide that in SQL (`ACTIVE`).
 */

const { quarantines, testCases, testResults, runs, users } = schema

/** The quarantine row applies: no expiry, or one still ahead. */
const ACTIVE = sql`(${quarantines.expiresAt} is null or ${quarantines.expiresAt} > now())`

/** Whether a quarantine applies now to the test case `testCaseId` (SQL): its failures do not block a run. */
export const isQuarantined = (testCaseId: SQL) => sql<boolean>`exists (select 1 from ${quarantines} where ${quarantines.testCaseId} = ${testCaseId} and ${ACTIVE})`

/** Passes in a row among the test's newest results in runs uploaded since it was quarantined (skips left out). */
const PASSES_IN_A_ROW = sql<number>`(select coalesce(min(x.n) filter (where not x.ok) - 1, count(*))::int from (
  select row_number() over (order by r.run_started_at desc, r.id desc) as n, (r.status = 'passed' and not r.flaky) as ok
  from ${testResults} r join ${runs} ru on ru.id = r.run_id
  where r.test_case_id = ${testCases.id} and r.status <> 'skipped' and ru.created_at >= ${quarantines.quarantinedAt}
  order by r.run_started_at desc, r.id desc limit ${QUARANTINE_RELEASE_PASSES}) x)`

/** Columns a test-case read selects (after left-joining `quarantines` on ACTIVE and `users` on the author) for the view. */
export const quarantineColumns = {
  q: quarantines,
  byName: users.name,
  passes: sql<number | null>`case when ${quarantines.testCaseId} is null then null else ${PASSES_IN_A_ROW} end`,
}

type QuarantineRow = { q: typeof quarantines.$inferSelect | null, byName: string | null, passes: number | null }

/** The joins of `quarantineColumns`: the test's quarantine while it applies, and who set it. */
export const quarantineJoin = {
  on: and(eq(quarantines.testCaseId, testCases.id), ACTIVE),
  by: eq(users.id, quarantines.quarantinedBy),
}

export function toQuarantineView({ q, byName, passes }: QuarantineRow): QuarantineView | null {
  if (!q) return null
  return {
    reason: q.reason,
    by: q.quarantinedBy && byName !== null ? { userId: q.quarantinedBy, name: byName } : null,
    at: q.quarantinedAt.toISOString(),
    expiresAt: q.expiresAt?.toISOString() ?? null,
    passesInARow: passes ?? 0,
    releaseProposed: (passes ?? 0) >= QUARANTINE_RELEASE_PASSES,
  }
}

/** The test case in the caller's scope (404 otherwise, before any permission is checked). */
async function requireTestCase(scope: Scope, testCaseId: string) {
  const db = await useDb()
  const [row] = await db.select({ id: testCases.id, projectId: testCases.projectId }).from(testCases)
    .where(and(eq(testCases.id, testCaseId), inScope(scope, testCases.projectId))).limit(1)
  if (!row) throw notFound('No test case with this id visible to you.', 'test_case_not_found')
  return row
}

/** Quarantines a test case (or replaces its quarantine): members and admins of its project. */
export async function quarantineTestCase(scope: Scope, testCaseId: string, body: QuarantineBody): Promise<QuarantineView> {
  const test = await requireTestCase(scope, testCaseId)
  authorize(scope, 'quarantine')
  const db = await useDb()
  const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null
  const values = { reason: body.reason, quarantinedBy: scope.userId, quarantinedAt: new Date(), expiresAt }
  const [q] = await db.insert(quarantines).values({ testCaseId: test.id, projectId: test.projectId, ...values })
    .onConflictDoUpdate({ target: quarantines.testCaseId, set: values }).returning()
  const [by] = await db.select({ name: users.name }).from(users).where(eq(users.id, scope.userId))
  return toQuarantineView({ q: q!, byName: by?.name ?? null, passes: 0 })!
}

/** Releases a test case: it blocks again. `released` is false when it was not quarantined. */
export async function releaseTestCase(scope: Scope, testCaseId: string): Promise<{ released: boolean }> {
  const test = await requireTestCase(scope, testCaseId)
  authorize(scope, 'quarantine')
  const db = await useDb()
  const gone = await db.delete(quarantines).where(and(eq(quarantines.testCaseId, test.id), eq(quarantines.projectId, test.projectId)))
    .returning({ applied: sql<boolean>`${ACTIVE}` })
  return { released: gone.some(g => g.applied) }
}

/** The project's quarantined tests (expired ones left out), by title: what a runner skips. */
export async function listQuarantine(scope: Scope, projectSlug: string): Promise<QuarantineList> {
  const project = await requireProject(scope, projectSlug)
  const db = await useDb()
  const rows = await db.select({ t: testCases, q: quarantines, by: users.name, passes: PASSES_IN_A_ROW }).from(quarantines)
    .innerJoin(testCases, eq(testCases.id, quarantines.testCaseId))
    .leftJoin(users, quarantineJoin.by)
    .where(and(eq(quarantines.projectId, project.id), inScope(scope, quarantines.projectId), ACTIVE))
    .orderBy(asc(testCases.title), asc(testCases.id))
  return {
    project: project.slug,
    items: rows.map(({ t, q, by, passes }) => ({
      testCaseId: t.id, title: t.title, variant: t.variant, suitePath: t.suitePath, file: t.file, reason: q.reason, by,
      at: q.quarantinedAt.toISOString(), expiresAt: q.expiresAt?.toISOString() ?? null,
      passesInARow: passes, releaseProposed: passes >= QUARANTINE_RELEASE_PASSES,
    })),
  }
}

/** Failures a receipt names, per kind. */
const RECEIPT_FAILURES = 20

interface FailureRow {
  testCaseId: string
  title: string
  suitePath: string[]
  variant: string | null
  reason: string | null
  n: number
  nMine: number
}

/**
 * A run's failed tests split into blocking and quarantined (a quarantine that applies now), each list capped at
 * RECEIPT_FAILURES with its full count: a run with 10,000 failures keeps a small receipt.
 */
export async function receiptFailures(
  tx: Tx, projectId: string, runId: string, uploadCases?: string[],
): Promise<IngestReceipt['failures']> {
  const rows = rowsOf<FailureRow>(await tx.execute(sql`
    with failed as (
      select tc.id, tc.title, tc.suite_path, tc.variant, ${quarantines.reason} as reason,
        ${uploadCases ? sql`tc.id = any(${plainArray(uploadCases)}::uuid[])` : sql`false`} as mine
      from ${testResults} r
      join ${testCases} tc on tc.id = r.test_case_id
      left join ${quarantines} on ${quarantines.testCaseId} = r.test_case_id and ${quarantines.projectId} = ${projectId}::uuid and ${ACTIVE}
      where r.run_id = ${runId}::uuid and r.status in ('failed', 'errored')
    ), ranked as (
      select *, row_number() over (partition by reason is null order by title, id) as nth,
        count(*) over (partition by reason is null) as n, count(*) filter (where mine) over (partition by reason is null) as n_mine from failed
    )
    select id as "testCaseId", title, suite_path as "suitePath", variant, reason, n::int as n, n_mine::int as "nMine" from ranked
    where nth <= ${RECEIPT_FAILURES} order by title, id`))
  const blocking = rows.filter(r => r.reason === null)
  const quarantined = rows.filter(r => r.reason !== null)
  return {
    blocking: blocking.map(({ testCaseId, title, suitePath, variant }) => ({
      testCaseId, title, ...namedApart({ title, suitePath }), variant,
    })),
    quarantined: quarantined.map(({ testCaseId, title, suitePath, variant, reason }) => ({
      testCaseId, title, ...namedApart({ title, suitePath }), variant, reason: reason!,
    })),
    counts: { blocking: blocking[0]?.n ?? 0, quarantined: quarantined[0]?.n ?? 0 },
    ...uploadCases ? { thisUpload: { blocking: blocking[0]?.nMine ?? 0, quarantined: quarantined[0]?.nMine ?? 0 } } : {},
  }
}
