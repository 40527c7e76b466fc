import { eq, sql } from 'drizzle-orm'
import { useDb, schema, type Tx } from '../db'
import { CHUNK, rowsJson, rowsOf } from '../db/sql'
import { ownersOf, parseCodeowners, type CodeownersRule } from '../analysis/codeowners'
import type { CodeownersReceipt } from '#shared/types/explorer'
import { authorize } from './policy'
import { requireProject } from './projects'
import type { Scope } from './scope'

/**
 * Test owners from the project's CODEOWNERS (the latest one an upload sent): stored on each test case, from its file
 * path (the matching is pure, in server/analysis/codeowners.ts), so lists filter by owner in SQL. A new CODEOWNERS
 * re-owns every test of the project; tests an upload creates are owned in its transaction.
 */

const { projectCodeowners, testCases, testResults } = schema

async function writeOwners(tx: Tx, rows: { id: string, owners: string[] }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await tx.execute(sql`update ${testCases} tc set owners = x.owners
      from json_to_recordset(${rowsJson(rows.slice(i, i + CHUNK))}::json) as x(id uuid, owners text[]) where tc.id = x.id`)
  }
}

/** Skipped lines an upload of CODEOWNERS lists (all are counted). */
const SKIPPED_LISTED = 20

/** Stores the project's CODEOWNERS (an ingest key's upload) and re-owns its tests when it changed. 404 outside the scope. */
export async function storeCodeowners(scope: Scope, projectSlug: string, content: string): Promise<CodeownersReceipt> {
  authorize(scope, 'ingest')
  const project = await requireProject(scope, projectSlug)
  const skipped: CodeownersReceipt['skipped'] = []
  let skippedCount = 0
  const rules = parseCodeowners(content, (line) => {
    if (skippedCount++ < SKIPPED_LISTED) skipped.push(line)
  })
  const db = await useDb()
  return db.transaction(async (tx) => {
    const [stored] = await tx.select({ content: projectCodeowners.content }).from(projectCodeowners)
      .where(eq(projectCodeowners.projectId, project.id)).for('update')
    const changed = stored?.content !== content
    if (changed) {
      await tx.insert(projectCodeowners).values({ projectId: project.id, content })
        .onConflictDoUpdate({ target: projectCodeowners.projectId, set: { content, updatedAt: new Date() } })
      const tests = await tx.select({ id: testCases.id, file: testCases.file, owners: testCases.owners }).from(testCases)
        .where(eq(testCases.projectId, project.id))
      await writeOwners(tx, tests.map(t => ({ id: t.id, owners: ownersOf(rules, t.file), was: t.owners }))
        .filter(t => t.owners.join('\n') !== t.was.join('\n')).map(({ id, owners }) => ({ id, owners })))
    }
    const [owned] = await tx.select({ n: sql<number>`count(*)::int` }).from(testCases)
      .where(sql`${testCases.projectId} = ${project.id} and cardinality(${testCases.owners}) > 0`)
    return { project: project.slug, rules: rules.length, changed, ownedTests: owned?.n ?? 0, skipped, skippedCount }
  })
}

async function rulesOf(tx: Tx, projectId: string): Promise<CodeownersRule[] | null> {
  const [stored] = await tx.select({ content: projectCodeowners.content }).from(projectCodeowners)
    .where(eq(projectCodeowners.projectId, projectId))
  return stored ? parseCodeowners(stored.content) : null
}

/** Owns the test cases this upload created (in this transaction: created_at is its start) from the stored CODEOWNERS. */
export async function ownNewTests(tx: Tx, projectId: string, runId: string): Promise<void> {
  const rules = await rulesOf(tx, projectId)
  if (!rules) return
  const created = rowsOf<{ id: string, file: string | null }>(await tx.execute(sql`
    select id, file from ${testCases} where project_id = ${projectId}::uuid and created_at = now()
      and id in (select test_case_id from ${testResults} where run_id = ${runId}::uuid)`))
  await writeOwners(tx, created.map(t => ({ id: t.id, owners: ownersOf(rules, t.file) })).filter(t => t.owners.length))
}

/** Every owner of the project's tests, by name: the owner filters of the list pages. 404 outside the scope. */
export async function listOwners(scope: Scope, projectSlug: string): Promise<{ owners: string[] }> {
  const project = await requireProject(scope, projectSlug)
  const db = await useDb()
  const rows = rowsOf<{ owner: string }>(await db.execute(sql`
    select distinct unnest(owners) as owner from ${testCases} where project_id = ${project.id}::uuid order by 1`))
  return { owners: rows.map(r => r.owner) }
}
