import { and, asc, eq, sql } from 'drizzle-orm'
import { useDb, schema } from '../db'
import type { ProjectSummary } from '../../shared/types/projects'
import type { ProjectDetail } from '../../shared/types/reads'
import { notFound } from '../utils/errors'
import { listRuns } from './runs'
import { inScope, type Scope } from './scope'

const { projects, runs } = schema

/** Projects the caller can see, each with its run count and latest run (by start time). */
export async function listProjects(scope: Scope): Promise<ProjectSummary[]> {
  const db = await useDb()
  const latest = db.select().from(runs).where(eq(runs.projectId, projects.id))
    .orderBy(sql`${runs.startedAt} desc, ${runs.id} desc`).limit(1).as('latest')
  const rows = await db.select({
    project: projects,
    runCount: sql<number>`(select count(*)::int from ${runs} where ${runs.projectId} = ${projects.id})`,
    latest: { id: latest.id, status: latest.status, branch: latest.branch, commit: latest.commitSha, startedAt: latest.startedAt,
      total: latest.total, passed: latest.passed, failed: latest.failed, errored: latest.errored, skipped: latest.skipped, flaky: latest.flaky },
  }).from(projects).leftJoinLateral(latest, sql`true`).where(inScope(scope, projects.id)).orderBy(asc(projects.slug))
  return rows.map(({ project: p, runCount, latest: l }) => ({
    id: p.id, slug: p.slug, name: p.name, defaultBranch: p.defaultBranch, repositoryUrl: p.repositoryUrl, runCount,
    latestRun: l?.id
      ? { id: l.id, status: l.status!, branch: l.branch, commit: l.commit, startedAt: l.startedAt!.toISOString(),
          counts: { tests: l.total!, passed: l.passed!, failed: l.failed!, errored: l.errored!, skipped: l.skipped!, flaky: l.flaky! } }
      : null,
  }))
}

/** The project with this slug if the caller may see it; a 404 otherwise (missing and out of scope read alike). */
export async function requireProject(scope: Scope, slug: string): Promise<typeof projects.$inferSelect> {
  const db = await useDb()
  const [project] = await db.select().from(projects).where(and(eq(projects.slug, slug), inScope(scope, projects.id))).limit(1)
  if (!project) throw notFound(`No project "${slug}" visible to you. list_projects (or the projects page) shows the ones you can read.`)
  return project
}

/** One project with its counts, its latest runs, and how many flaky tests and open clusters it has. */
export async function getProject(scope: Scope, slug: string): Promise<ProjectDetail> {
  const project = await requireProject(scope, slug)
  const db = await useDb()
  const [summaries, [counts], recent] = await Promise.all([
    listProjects(scope),
    db.select({
      flakyTests: sql<number>`(select count(*)::int from ${schema.testCases} where ${schema.testCases.projectId} = ${project.id} and ${schema.testCases.flakyLabel} = 'flaky')`,
      openClusters: sql<number>`(select count(*)::int from ${schema.failureClusters} where ${schema.failureClusters.projectId} = ${project.id}
        and ${schema.failureClusters.mergedIntoId} is null and ${schema.failureClusters.status} in ('open', 'investigating', 'regressed'))`,
    }).from(projects).where(eq(projects.id, project.id)),
    listRuns(scope, slug, { limit: 10 }),
  ])
  const summary = summaries.find(p => p.id === project.id)
  return { ...summary!, recentRuns: recent.items, flakyTests: counts?.flakyTests ?? 0, openClusters: counts?.openClusters ?? 0 }
}
