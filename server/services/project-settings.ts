import { eq } from 'drizzle-orm'
import { useDb, schema } from '../db'
import type { UpdateProjectBody } from '#shared/schemas/projects'
import type { ProjectSettings } from '#shared/types/projects'
import { useConfig } from '../utils/config'
import { badRequest } from '../utils/errors'
import { forgetVerifiedKeys } from './api-keys'
import { authorize } from './policy'
import { requireProject } from './projects'
import { deleteRuns } from './retention'
import { judgeFailuresAgain } from './known-failures'
import type { Scope } from './scope'

/** A project's settings (name, repository, default branch, retention) and its deletion. */

const { projects } = schema

const toSettings = (p: typeof projects.$inferSelect): ProjectSettings => ({
  slug: p.slug, name: p.name, defaultBranch: p.defaultBranch, repositoryUrl: p.repositoryUrl, retentionDays: p.retentionDays,
  serverRetentionDays: useConfig().retentionDays,
})

/** The settings of a project the caller may see. */
export async function getProjectSettings(scope: Scope, slug: string): Promise<ProjectSettings> {
  return toSettings(await requireProject(scope, slug))
}

/** Changes the settings sent (members and admins signed in); answers with all of them. */
export async function updateProject(scope: Scope, slug: string, body: UpdateProjectBody): Promise<ProjectSettings> {
  const project = await requireProject(scope, slug)
  authorize(scope, 'manage_project')
  const db = await useDb()
  const [updated] = await db.transaction(async (tx) => {
    const rows = await tx.update(projects).set(body).where(eq(projects.id, project.id)).returning()
    // new and known are judged against the default branch: a new one judges the stored failures again
    if (body.defaultBranch !== undefined && body.defaultBranch !== project.defaultBranch) await judgeFailuresAgain(tx, project.id)
    return rows
  })
  return toSettings(updated ?? project)
}

/**
 * Deletes a project and everything under it (admins signed in), once `confirm` repeats its slug: its runs in batches
 * (their results have no foreign key), then the project row, whose test cases, clusters, rollups, webhooks,
 * quarantines, memberships and bound keys go by cascade.
 */
export async function deleteProject(scope: Scope, slug: string, confirm: string): Promise<void> {
  const project = await requireProject(scope, slug)
  authorize(scope, 'delete_project')
  if (confirm !== project.slug) throw badRequest(`Type the project's slug "${project.slug}" in confirm to delete it.`, 'confirmation_mismatch')
  await deleteRuns(project.id, null)
  const db = await useDb()
  await db.delete(projects).where(eq(projects.id, project.id))
  forgetVerifiedKeys()
}
