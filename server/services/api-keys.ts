import { createHash, randomBytes } from 'node:crypto'
import { and, desc, eq, isNull, sql } from 'drizzle-orm'
import { hearChannel, useDb, schema, type Db } from '../db'
import type { ApiKeyScope } from '#shared/constants'
import type { CreateApiKeyBody } from '#shared/schemas/auth'
import type { ApiKeySummary, CreatedApiKey } from '#shared/types/auth'
import { notFound } from '../utils/errors'
import { authorize, can } from './policy'
import { inScope, type Scope } from './scope'

const { apiKeys, projects, users } = schema

const KEY_PATTERN = /^pd_[0-9a-f]{64}$/
/** "pd_" and 8 hex characters: shown in lists and logs, identifies a key, and is useless to an attacker. */
const PREFIX_LENGTH = 11

const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex')

function toSummary(k: typeof apiKeys.$inferSelect, projectSlug: string | null): ApiKeySummary {
  return {
    id: k.id, name: k.name, prefix: k.prefix, scopes: k.scopes, projectSlug,
    expiresAt: k.expiresAt?.toISOString() ?? null, lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null, createdAt: k.createdAt.toISOString(),
  }
}

/**
 * Creates a key for the signed-in user. Viewers get read keys only; members bind keys to their own projects
 * only (an unbound key sees the projects its owner sees at each request); admins any.
 */
export async function createApiKey(scope: Scope, input: CreateApiKeyBody): Promise<CreatedApiKey> {
  authorize(scope, 'manage_keys')
  if (input.scopes.includes('ingest')) authorize(scope, 'create_ingest_key')
  const db = await useDb()
  let projectId: string | null = null
  if (input.projectSlug) {
    const [project] = await db.select({ id: projects.id }).from(projects)
      .where(and(eq(projects.slug, input.projectSlug), inScope(scope, projects.id))).limit(1)
    if (!project) throw notFound(`No project "${input.projectSlug}" that you can access.`)
    projectId = project.id
  }
  const key = `pd_${randomBytes(32).toString('hex')}`
  const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null
  const [row] = await db.insert(apiKeys).values({
    userId: scope.userId, name: input.name, prefix: key.slice(0, PREFIX_LENGTH), keyHash: hashApiKey(key),
    scopes: input.scopes, projectId, expiresAt,
  }).returning()
  return { ...toSummary(row!, input.projectSlug ?? null), key }
}

/** The caller's own keys, newest first (never the secret). */
export async function listApiKeys(scope: Scope): Promise<ApiKeySummary[]> {
  const db = await useDb()
  const rows = await db.select({ key: apiKeys, slug: projects.slug }).from(apiKeys)
    .leftJoin(projects, eq(projects.id, apiKeys.projectId))
    .where(eq(apiKeys.userId, scope.userId)).orderBy(desc(apiKeys.createdAt))
  return rows.map(r => toSummary(r.key, r.slug))
}

/** Revokes one of the caller's keys (admins: anyone's). Unknown or foreign ids are 404; revoking twice is a no-op. */
export async function revokeApiKey(scope: Scope, keyId: string): Promise<ApiKeySummary> {
  const db = await useDb()
  const owner = can(scope, 'revoke_any_key') ? undefined : eq(apiKeys.userId, scope.userId)
  await db.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt), owner))
  forgetVerifiedKeys()
  const [row] = await db.select({ key: apiKeys, slug: projects.slug }).from(apiKeys)
    .leftJoin(projects, eq(projects.id, apiKeys.projectId)).where(and(eq(apiKeys.id, keyId), owner)).limit(1)
  if (!row) throw notFound('No such API key.')
  return toSummary(row.key, row.slug)
}

/** The one query of a key check, prepared once per database handle: building it per request cost more than running it. */
function prepareKeyLookup(db: Db) {
  return db.select({
    id: apiKeys.id, userId: apiKeys.userId, scopes: apiKeys.scopes, projectId: apiKeys.projectId,
    expiresAt: apiKeys.expiresAt, revokedAt: apiKeys.revokedAt, role: users.role,
    // tables named explicitly, as in users.ts: a correlated subquery must not depend on how drizzle qualifies columns
    deactivated: sql<boolean>`left(users.password_hash, 1) = '!'`,
    memberOf: sql<string[]>`array(select pm.project_id from project_memberships pm where pm.user_id = api_keys.user_id)::text[]`,
  }).from(apiKeys).innerJoin(users, eq(users.id, apiKeys.userId)).where(eq(apiKeys.keyHash, sql.placeholder('hash'))).limit(1)
    .prepare('proofdeck_resolve_api_key')
}
const keyLookups = new WeakMap<Db, ReturnType<typeof prepareKeyLookup>>()
function keyLookup(db: Db) {
  let q = keyLookups.get(db)
  if (!q) keyLookups.set(db, q = prepareKeyLookup(db))
  return q
}

type KeyRow = Awaited<ReturnType<ReturnType<typeof prepareKeyLookup>['execute']>>[number]

/**
 * The row each key had when it was last read, by hash, and the invalidation generation it was read in. A row is the
 * key's answer without a query while this process hears of every change that could alter it (`hearing`): on Postgres
 * while the listener connection is up (migration 0017 notifies channel KEY_CHANGES in the transaction of every such
 * change, on every instance: a key revoked on one is refused on the others as soon as the notification arrives); on
 * PGlite, one process, always, the services that change keys calling forgetVerifiedKeys. A row that is not current
 * (listener down, or read before an invalidation) still lets a call start under it while the key is read again
 * (resolveApiKeyEarly). Bounded in size.
 */
const VERIFIED_MAX = 1_000
const KEY_CHANGES = 'proofdeck_key_changes'
const lastRead = new Map<string, { row: KeyRow, at: number, generation: number }>()
/** Bumped by every invalidation and by every (re)connection of the listener: a read that began before it is not current. */
let generation = 0
let hearing = false
let heard: Promise<void> | undefined

/** Starts hearing of key changes (once per process; the listener makes itself again after a lost connection). */
function hearKeyChanges(): void {
  heard ??= hearChannel(KEY_CHANGES, {
    notify: forgetVerifiedKeys,
    up: () => {
      generation++
      hearing = true
    },
    down: () => {
      hearing = false
    },
  }).catch(() => {
    heard = undefined
  })
}

/** Empties the rows kept from earlier checks: call it after any change to a key, its owner or the owner's projects. */
export function forgetVerifiedKeys(): void {
  generation++
  lastRead.clear()
}

/** The key's row read now: one indexed query, prepared once (unknown keys are not kept). */
async function readKey(db: Db, hash: string): Promise<KeyRow | undefined> {
  const at = Date.now()
  const began = hearing ? generation : -1
  const [row] = await keyLookup(db).execute({ hash })
  lastRead.delete(hash)
  if (!row) return undefined
  if (lastRead.size >= VERIFIED_MAX) lastRead.delete(lastRead.keys().next().value!)
  lastRead.set(hash, { row, at, generation: began === generation ? began : -1 })
  return row
}

// last_used_at is written at most once a minute per key: a write per request would cost more than the check.
const lastUsedWrites = new Map<string, number>()

export type KeyRefusal = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'deactivated'
/** Why a key is refused, as the end of "This API key …": the same words on REST and MCP. */
export const KEY_REFUSALS: Record<KeyRefusal, string> = {
  malformed: 'is not a Proofdeck API key', unknown: 'is not valid', revoked: 'has been revoked', expired: 'has expired',
  deactivated: 'belongs to a deactivated account',
}
export type KeyCheck = { ok: true, scope: Scope } | { ok: false, reason: KeyRefusal | 'scope', prefix: string }

/** A key's row as a check: why it is refused, or the caller's scope. */
function toCheck(row: KeyRow | undefined, needed: ApiKeyScope[], prefix: string): KeyCheck {
  if (!row) return { ok: false, reason: 'unknown', prefix }
  if (row.revokedAt) return { ok: false, reason: 'revoked', prefix }
  if (row.expiresAt && row.expiresAt.getTime() < Date.now()) return { ok: false, reason: 'expired', prefix }
  if (row.deactivated) return { ok: false, reason: 'deactivated', prefix }
  if (!needed.some(n => row.scopes.includes(n))) return { ok: false, reason: 'scope', prefix }
  let projectIds: string[] | null = row.role === 'admin' ? null : row.memberOf
  if (row.projectId) projectIds = projectIds === null || projectIds.includes(row.projectId) ? [row.projectId] : []
  return {
    ok: true,
    scope: {
      userId: row.userId, role: row.role, projectIds,
      canIngest: row.scopes.includes('ingest') && row.role !== 'viewer',
      keyId: row.id, boundProjectId: row.projectId,
    },
  }
}

/** Notes the key's use: last_used_at is written at most once a minute per key, without waiting for it. */
function noteUse(row: KeyRow): void {
  const now = Date.now()
  if ((lastUsedWrites.get(row.id) ?? 0) >= now - 60_000) return
  lastUsedWrites.set(row.id, now)
  useDb().then(db => db.update(apiKeys).set({ lastUsedAt: new Date(now) }).where(eq(apiKeys.id, row.id))).catch(() => {})
}

/** What resolveApiKeyEarly gives: the check by the key's previous reading and its age, and the check made now. */
export interface EarlyKeyCheck {
  /** `current`: the reading is the key's answer now (see lastRead), and `now` gives the same check without a query. */
  early: { check: KeyCheck, ageMs: number, current: boolean } | undefined
  /** The key read now (one query, made on the first call of this function and shared by the next). */
  now: () => Promise<KeyCheck>
}

/**
 * Resolves a bearer key to a scope, or says why it is refused (with the key's display prefix, the only part that
 * may be logged); any one of `needed` will do. While this process hears of every key change, a key checked before
 * is answered from memory; otherwise `now` is one indexed query (key, owner's role and state, owner's projects).
 * `early` is the check the key's previous reading gives (undefined when there is none): when not current, a caller
 * may start a read under it while the key is read again, and answers only once `now` says the same. Never throws
 * on a bad key.
 */
export function resolveApiKeyEarly(key: string, needed: ApiKeyScope[]): EarlyKeyCheck {
  const prefix = key.slice(0, PREFIX_LENGTH)
  if (!KEY_PATTERN.test(key)) {
    const malformed: KeyCheck = { ok: false, reason: 'malformed', prefix: key.startsWith('pd_') ? prefix : '(not a pd_ key)' }
    return { early: undefined, now: () => Promise.resolve(malformed) }
  }
  hearKeyChanges()
  const hash = hashApiKey(key)
  const kept = lastRead.get(hash)
  if (kept && hearing && kept.generation === generation) {
    noteUse(kept.row)
    const check = toCheck(kept.row, needed, prefix)
    return { early: { check, ageMs: Date.now() - kept.at, current: true }, now: () => Promise.resolve(check) }
  }
  let read: Promise<KeyCheck> | undefined
  const now = () => read ??= useDb().then(async (db) => {
    const row = await readKey(db, hash)
    if (row) noteUse(row)
    return toCheck(row, needed, prefix)
  })
  return { early: kept && { check: toCheck(kept.row, needed, prefix), ageMs: Date.now() - kept.at, current: false }, now }
}
