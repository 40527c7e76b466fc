import { and, count, desc, eq, gt, isNull, sql, type SQL } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'
import { useReadDb, schema } from '../db'
import { iso, rowsOf } from '../db/sql'
import type { AttentionQuery } from '#shared/schemas/attention'
import type { Attention, AttentionCluster, AttentionTest } from '#shared/types/attention'
import { inScope, type Scope } from './scope'
import { UNRESOLVED } from './projects'

/**
 * "Needs attention" over the last days, measured on when things happened in CI (the runs' start times), never on
 * when they were uploaded: a backfill of last month's runs is not news.
 */

const { failureClusters, projects, runs, testCases, testResults } = schema

/**
 * The confidence (Wilson lower bound, 95%) a flaky test needs to be listed as newly flaky. At 0.1 the test costs at
 * least one re-run in ten, as far as its history can tell: 7 flaky results of 30, or 2 of 5. One retry-pass in 30
 * runs (0.006) or 2 in 13 (0.043) is a hint, not news; the flaky list still shows those tests.
 */
const NEWLY_FLAKY_MIN_CONFIDENCE = 0.1

const clusterColumns = {
  id: failureClusters.id, project: projects.slug, title: failureClusters.title, category: failureClusters.category,
  status: failureClusters.status, occurrences: failureClusters.occurrences, affectedTests: failureClusters.affectedTests,
  firstSeenAt: failureClusters.firstSeenAt, lastSeenAt: failureClusters.lastSeenAt,
}

const toCluster = (c: Omit<AttentionCluster, 'firstSeenAt' | 'lastSeenAt'> & { firstSeenAt: Date, lastSeenAt: Date }): AttentionCluster =>
  ({ ...c, firstSeenAt: c.firstSeenAt.toISOString(), lastSeenAt: c.lastSeenAt.toISOString() })

/**
 * New failure clusters (first failure's run start in the window), regressed ones still failing in it, and tests whose
 * flakiness began in it with enough confidence, of the caller's projects. Cluster first/last seen are run starts.
 */
export async function listAttention(scope: Scope, query: AttentionQuery): Promise<Attention> {
  const db = await useReadDb()
  const since = new Date(Date.now() - query.days * 86_400_000)
  const live = and(inScope(scope, failureClusters.projectId), isNull(failureClusters.mergedIntoId))
  // unresolved (open, investigating or regressed): what a project's clusters page lists with status=unresolved and
  // firstSeenAfter, where the section's per-project counts link
  const isNew = and(live, gt(failureClusters.firstSeenAt, since), UNRESOLVED)
  const isRegressed = and(live, eq(failureClusters.status, 'regressed'), gt(failureClusters.lastSeenAt, since))
  /** How many clusters of each project a section holds: the list shows the newest `limit`, the counts say the rest. */
  const perProject = (where: SQL | undefined) => db.select({ project: projects.slug, clusters: count() }).from(failureClusters)
    .innerJoin(projects, eq(projects.id, failureClusters.projectId)).where(where)
    .groupBy(projects.slug).orderBy(desc(count()), projects.slug)
  /** A section's newest `limit` clusters by the time that puts them in it. */
  const latest = (where: SQL | undefined, by: PgColumn) => db.select(clusterColumns).from(failureClusters)
    .innerJoin(projects, eq(projects.id, failureClusters.projectId)).where(where).orderBy(desc(by), failureClusters.id).limit(query.limit)
  const [fresh, regressed, flaky, freshCounts, regressedCounts] = await Promise.all([
    latest(isNew, failureClusters.firstSeenAt),
    latest(isRegressed, failureClusters.lastSeenAt),
    newlyFlaky(scope, since, query.limit + 1),
    perProject(isNew),
    perProject(isRegressed),
  ])
  return {
    since: since.toISOString(),
    measuredOn: 'runStart',
    minConfidence: NEWLY_FLAKY_MIN_CONFIDENCE,
    newClusters: fresh.map(toCluster),
    regressedClusters: regressed.map(toCluster),
    newlyFlaky: flaky.slice(0, query.limit),
    counts: { newClusters: freshCounts, regressedClusters: regressedCounts, moreNewlyFlaky: flaky.length > query.limit },
  }
}

interface FlakyRow {
  test_case_id: string
  project: string
  title: string
  suite_path: string[]
  variant: string | null
  score: number
  confidence: number
  first_at: Date | string
}

/** How far before `since` a failure or flaky pass of a test makes it not newly flaky. */
const NEWLY_FLAKY_LOOKBACK_DAYS = 30

/**
 * Flaky tests whose first flaky evidence ran in CI after `since`, and that did not fail or flake in the month before.
 * The evidence stored on the test case carries each flaky result's run start; when it was cut short (fewer items than
 * score × sample), the earliest failed or retry-passed result of the test's window stands in: never later than the
 * first evidence, so nothing older slips in.
 */
async function newlyFlaky(scope: Scope, since: Date, limit: number): Promise<AttentionTest[]> {
  const db = await useReadDb()
  const rows = rowsOf<FlakyRow>(await db.execute(sql`
    select t.id as test_case_id, p.slug as project, t.title, t.suite_path, t.variant, t.flaky_score as score, t.flaky_confidence as confidence,
      f.first_at
    from ${testCases} t
    join ${projects} p on p.id = t.project_id
    cross join lateral (
      select case when jsonb_array_length(t.flaky_evidence) >= round(t.flaky_score * t.flaky_sample)
        then (select min((e->>'at')::timestamptz) from jsonb_array_elements(t.flaky_evidence) e)
        else (select min(w.run_started_at) from (
          select r.run_started_at, r.status, r.flaky from test_results r
          where r.test_case_id = t.id and r.status <> 'skipped'
          order by r.run_started_at desc, r.id desc limit greatest(t.flaky_sample, 1)) w
          where w.flaky or w.status in ('failed', 'errored'))
      end as first_at
    ) f
    where ${inScope(scope, sql`t.project_id`)} and t.flaky_label = 'flaky'
      and t.flaky_confidence >= ${NEWLY_FLAKY_MIN_CONFIDENCE} and f.first_at > ${since.toISOString()}::timestamptz
      -- and it did not fail or flake in CI in the month before: a test flaky for weeks has a window of recent evidence
      -- only (30 results are a week of a busy project), which made it "newly flaky" every week
      and not exists (select 1 from ${testResults} r
        where r.test_case_id = t.id and r.run_started_at <= ${since.toISOString()}::timestamptz
          and r.run_started_at > ${since.toISOString()}::timestamptz - interval '${sql.raw(String(NEWLY_FLAKY_LOOKBACK_DAYS))} days'
          and (r.flaky or r.status in ('failed', 'errored'))
          and not r.infra and not (select ru.infra from ${runs} ru where ru.id = r.run_id))
    order by f.first_at desc, t.id
    limit ${limit}`))
  return rows.map(r => ({
    testCaseId: r.test_case_id, project: r.project, title: r.title, suitePath: r.suite_path, variant: r.variant,
    score: Number(r.score), confidence: Number(r.confidence), flakySince: iso(r.first_at),
  }))
}
