import { and, asc, eq, sql } from 'drizzle-orm'
import { UNRESOLVED_CLUSTER_STATUSES } from '#shared/constants'
import { useDb, useReadDb, schema } from '../db'
import { runKept, slot } from '../db/kept'
import type { ProjectDetail, ProjectOverview, RepositoryRef, RunSummary } from '#shared/types/reads'
import { notFound } from '../utils/errors'
import { fromRunTuples, recentRunsOf } from './runs'
import { inScope, inScopeSlot, scopeSlot, type Scope } from './scope'

const { projects, runs, testCases, failureClusters, projectRollups, projectDayRollups } = schema

/** A cluster still to work on (UNRESOLVED_CLUSTER_STATUSES), as SQL: the count of a project's open clusters, and its filter. */
export const UNRESOLVED = sql`${failureClusters.status} in (${sql.raw(UNRESOLVED_CLUSTER_STATUSES.map(s => `'${s}'`).join(', '))})`

/** The overview's pass-rate window, in UTC days (today included). */
const HEALTH_DAYS = 30

/** One UTC day of a project's runs: passed and executed tests on the default branch and on every branch. */
type DayRow = [day: string, defaultRuns: number, defaultPassed: number, defaultExecuted: number, passed: number, executed: number]

/** The first UTC midnight of a window of `days` days ending today, and the days as YYYY-MM-DD, oldest first. */
function healthWindow(days: number, now = Date.now()): { since: Date, days: string[] } {
  const since = new Date(now - (days - 1) * 86_400_000)
  since.setUTCHours(0, 0, 0, 0)
  return { since, days: Array.from({ length: days }, (_, i) => new Date(since.getTime() + i * 86_400_000).toISOString().slice(0, 10)) }
}

const rate = (passed: number, executed: number) => (executed > 0 ? Math.round((passed / executed) * 10_000) / 10_000 : null)

/** Pass rates per day and overall, on the default branch when it ran in the window, else on every branch. */
function passRates(rows: DayRow[], days: string[], defaultBranch: string): Pick<ProjectOverview, 'passRate' | 'passRates' | 'passRateBranch'> {
  const onDefault = rows.some(r => r[1] > 0)
  const byDay = new Map(rows.map(r => [r[0], onDefault ? [r[2], r[3]] as const : [r[4], r[5]] as const]))
  let passed = 0
  let executed = 0
  for (const [p, e] of byDay.values()) {
    passed += p
    executed += e
  }
  return {
    passRate: rate(passed, executed), passRates: days.map(d => (byDay.has(d) ? rate(...byDay.get(d)!) : null)),
    passRateBranch: onDefault ? defaultBranch : null,
  }
}

/**
 * Projects in scope (the one with `slug`) with their latest run and health, in one query that reads the
 * rollups kept at ingest (./rollups.ts), never the runs table at large: run count and latest run, the days of the
 * health window per branch, and the flaky tests and open clusters counted.
 */
async function projectOverviews(
  scope: Scope, slug?: string, recentRuns?: number,
): Promise<(ProjectOverview & { recentRuns: RunSummary[] })[]> {
  const db = await useReadDb()
  const window = healthWindow(HEALTH_DAYS)
  const onDefault = sql`d.branch = ${projects.defaultBranch}`
  const values = { ...scopeSlot(scope), slug, recent: recentRuns, since: window.days[0] }
  const rows = await runKept(db, 'projectOverviews', values, has => db.select({
    project: projects,
    runCount: sql<number>`coalesce(${projectRollups.runCount}, 0)`,
    flakyTests: sql<number>`(select count(*)::int from ${testCases}
      where ${testCases.projectId} = ${projects.id} and ${testCases.flakyLabel} = 'flaky')`,
    openClusters: sql<number>`(select count(*)::int from ${failureClusters} where ${failureClusters.projectId} = ${projects.id}
      and ${failureClusters.mergedIntoId} is null and ${UNRESOLVED})`,
    days: sql<DayRow[]>`(select coalesce(json_agg(json_build_array(d.day, d.dr, d.dp, d.de, d.p, d.e) order by d.day), '[]'::json) from (
      select to_char(d.day, 'YYYY-MM-DD') as day, (coalesce(sum(d.runs) filter (where ${onDefault}), 0))::int as dr,
        coalesce(sum(d.passed) filter (where ${onDefault}), 0)::int as dp,
        coalesce(sum(d.executed) filter (where ${onDefault}), 0)::int as de,
        sum(d.passed)::int as p, sum(d.executed)::int as e
      from ${projectDayRollups} d where d.project_id = ${projects.id} and d.day >= ${slot('since')}::date
      group by d.day) d)`,
    latest: {
      id: runs.id, status: runs.status, branch: runs.branch, commit: runs.commitSha, startedAt: runs.startedAt,
      total: runs.total, passed: runs.passed, failed: runs.failed, errored: runs.errored, skipped: runs.skipped, flaky: runs.flaky,
    },
    recent: has('recent') ? recentRunsOf(sql`${projects.id}`, sql`${slot('recent')}::int`) : sql<null>`null`,
  }).from(projects)
    .leftJoin(projectRollups, eq(projectRollups.projectId, projects.id))
    .leftJoin(runs, eq(runs.id, projectRollups.latestRunId))
    .where(and(inScopeSlot(has, projects.id), has('slug') ? eq(projects.slug, slot('slug')) : undefined)).orderBy(asc(projects.slug)))
  return rows.map(({ project: p, runCount, flakyTests, openClusters, days, latest: l, recent }) => ({
    id: p.id, slug: p.slug, name: p.name, defaultBranch: p.defaultBranch, repositoryUrl: p.repositoryUrl, runCount,
    latestRun: l?.id
      ? { id: l.id, status: l.status!, branch: l.branch, commit: l.commit, startedAt: new Date(l.startedAt!).toISOString(),
          counts: { tests: l.total!, passed: l.passed!, failed: l.failed!, errored: l.errored!, skipped: l.skipped!, flaky: l.flaky! } }
      : null,
    flakyTests, openClusters,
    ...passRates(typeof days === 'string' ? JSON.parse(days) as DayRow[] : days, window.days, p.defaultBranch),
    recentRuns: recent ? fromRunTuples(recent, p.slug) : [],
  }))
}

/** Projects the caller can see, each with its run count, latest run (by start time) and 30-day health. */
export async function listProjects(scope: Scope): Promise<ProjectOverview[]> {
  return (await projectOverviews(scope)).map(({ recentRuns: _, ...overview }) => overview)
}

/** The project with this slug if the caller may see it; a 404 otherwise (missing and out of scope read alike). */
export async function requireProject(scope: Scope, slug: string): Promise<typeof projects.$inferSelect> {
  const db = await useDb()
  const [project] = await db.select().from(projects).where(and(eq(projects.slug, slug), inScope(scope, projects.id))).limit(1)
  if (!project) throw notFound(`No project "${slug}" visible to you.`, 'project_not_found')
  return project
}

/** One project with its counts, health and 10 latest runs, in one statement that checks the scope. */
export async function getProject(scope: Scope, slug: string): Promise<ProjectDetail> {
  const [project] = await projectOverviews(scope, slug, 10)
  if (!project) throw notFound(`No project "${slug}" visible to you.`, 'project_not_found')
  return project
}

/**
 * What the run, test and cluster pages link commits and file:line into: the project's repository URL and default
 * branch, or null without a repository URL. Read by id, for a record already found in scope.
 */
export async function repositoryOf(projectId: string): Promise<RepositoryRef | null> {
  const db = await useReadDb()
  const [p] = await db.select({ url: projects.repositoryUrl, defaultBranch: projects.defaultBranch }).from(projects)
    .where(eq(projects.id, projectId))
  return p?.url ? { url: p.url, defaultBranch: p.defaultBranch } : null
}
