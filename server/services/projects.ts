import { asc, eq, sql } from 'drizzle-orm'
import { useDb, schema } from '../db'
import type { ProjectSummary } from '../../shared/types/projects'
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
