import { createHash, randomBytes } from 'node:crypto'
import { and, desc, eq, isNull } from 'drizzle-orm'
import { useDb, schema } from '../db'
import type { ApiKeyScope } from '../../shared/constants'
import type { CreateApiKeyBody } from '../../shared/schemas/auth'
import type { ApiKeySummary, CreatedApiKey, SessionUser } from '../../shared/types/auth'
import { forbidden, notFound } from '../utils/errors'
import { listMembershipProjectIds } from './users'
import type { Scope } from './scope'

const { apiKeys, projects, users } = schema

const KEY_PATTERN = /^pd_[0-9a-f]{64}$/

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex')

function toSummary(k: typeof apiKeys.$inferSelect, projectSlug: string | null): ApiKeySummary {
  return {
    id: k.id, name: k.name, prefix: k.prefix, scopes: k.scopes, projectSlug,
    expiresAt: k.expiresAt?.toISOString() ?? null, lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null, createdAt: k.createdAt.toISOString(),
  }
}

/** Creates a key for the signed-in user. Viewers get read keys only; members only within their projects. */
export async function createApiKey(user: SessionUser, input: CreateApiKeyBody): Promise<CreatedApiKey> {
  if (user.role === 'viewer' && input.scopes.includes('ingest')) {
    throw forbidden('Viewers can create read keys only; ask an admin for an ingest key.', 'role_forbids_scope')
  }
  const db = await useDb()
  let projectId: string | null = null
  if (input.projectSlug) {
    const [project] = await db.select({ id: projects.id }).from(projects).where(eq(projects.slug, input.projectSlug)).limit(1)
    const allowed = user.role === 'admin' || (project && (await listMembershipProjectIds(user.id)).includes(project.id))
    if (!project || !allowed) throw notFound(`No project "${input.projectSlug}" that you can access.`)
    projectId = project.id
  }
  const key = `pd_${randomBytes(32).toString('hex')}`
  const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null
  const [row] = await db.insert(apiKeys).values({
    userId: user.id, name: input.name, prefix: key.slice(0, 11), keyHash: hashApiKey(key),
    scopes: input.scopes, projectId, expiresAt,
  }).returning()
  return { ...toSummary(row!, input.projectSlug ?? null), key }
}

/** The signed-in user's keys, newest first (never the secret). */
export async function listApiKeys(user: SessionUser): Promise<ApiKeySummary[]> {
  const db = await useDb()
  const rows = await db.select({ key: apiKeys, slug: projects.slug }).from(apiKeys)
    .leftJoin(projects, eq(projects.id, apiKeys.projectId))
    .where(eq(apiKeys.userId, user.id)).orderBy(desc(apiKeys.createdAt))
  return rows.map(r => toSummary(r.key, r.slug))
}

/** Revokes one of the user's keys (admins: anyone's). Unknown or foreign ids are 404. */
export async function revokeApiKey(user: SessionUser, keyId: string): Promise<ApiKeySummary> {
  const db = await useDb()
  const owner = user.role === 'admin' ? undefined : eq(apiKeys.userId, user.id)
  const [row] = await db.update(apiKeys).set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt), owner)).returning()
  if (!row) {
    const [existing] = await db.select().from(apiKeys).where(and(eq(apiKeys.id, keyId), owner)).limit(1)
    if (!existing) throw notFound('No such API key.')
    return toSummary(existing, null)
  }
  return toSummary(row, null)
}

// last_used_at is written at most once a minute per key: a write per request would cost more than the check.
const lastUsedWrites = new Map<string, number>()

export type KeyCheck = { ok: true, scope: Scope } | { ok: false, reason: 'malformed' | 'unknown' | 'revoked' | 'expired', prefix: string }

/** Resolves a bearer key to a scope, or says why it is refused. Never throws on a bad key. */
export async function resolveApiKey(key: string, needed: ApiKeyScope): Promise<KeyCheck | { ok: false, reason: 'scope', prefix: string }> {
  const prefix = key.slice(0, 11)
  if (!KEY_PATTERN.test(key)) return { ok: false, reason: 'malformed', prefix: key.startsWith('pd_') ? prefix : '(not a pd_ key)' }
  const db = await useDb()
  const [row] = await db.select({ key: apiKeys, role: users.role }).from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId)).where(eq(apiKeys.keyHash, hashApiKey(key))).limit(1)
  if (!row) return { ok: false, reason: 'unknown', prefix }
  if (row.key.revokedAt) return { ok: false, reason: 'revoked', prefix }
  if (row.key.expiresAt && row.key.expiresAt.getTime() < Date.now()) return { ok: false, reason: 'expired', prefix }
  if (!row.key.scopes.includes(needed)) return { ok: false, reason: 'scope', prefix }

  const now = Date.now()
  if ((lastUsedWrites.get(row.key.id) ?? 0) < now - 60_000) {
    lastUsedWrites.set(row.key.id, now)
    db.update(apiKeys).set({ lastUsedAt: new Date(now) }).where(eq(apiKeys.id, row.key.id)).catch(() => {})
  }
  let projectIds: string[] | null = row.role === 'admin' ? null : await listMembershipProjectIds(row.key.userId)
  if (row.key.projectId) projectIds = projectIds === null || projectIds.includes(row.key.projectId) ? [row.key.projectId] : []
  return {
    ok: true,
    scope: {
      userId: row.key.userId, role: row.role, projectIds,
      canRead: row.key.scopes.includes('read'), canIngest: row.key.scopes.includes('ingest') && row.role !== 'viewer',
      keyId: row.key.id, boundProjectId: row.key.projectId,
    },
  }
}
