import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import bcrypt from 'bcryptjs'
import { and, asc, count, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm'
import { useDb, schema, type Db, type Tx } from '../db'
import { runKept, slot } from '../db/kept'
import type { SetupBody } from '#shared/schemas/auth'
import type { ChangePasswordBody, CreateUserBody, ResetPasswordBody, UpdateUserBody } from '#shared/schemas/users'
import type { SessionUser } from '#shared/types/auth'
import type { AccountView, UserSummary, UserWithPassword } from '#shared/types/users'
import type { UserRole } from '#shared/constants'
import { useConfig } from '../utils/config'
import { badRequest, conflict, notFound } from '../utils/errors'
import { forgetVerifiedKeys } from './api-keys'
import { authorize } from './policy'
import { endUserSessions, touchSession } from './sessions'
import type { Scope } from './scope'

const { users, projectMemberships, projects, sessions } = schema

const hashPassword = (password: string) => bcrypt.hash(password, useConfig().bcryptCost)

// A deactivated account keeps its hash behind a "!" (as /etc/shadow locks an account): no password matches it,
// the session version changes so its sessions end, and reactivating restores the old password.
export const LOCK = '!'
const isLocked = (passwordHash: string) => passwordHash.startsWith(LOCK)

/**
 * A short digest of the password hash, kept in the sealed session: changing or resetting a password, or
 * deactivating the account, changes it and so ends every other session of that user.
 */
const passwordVersion = (passwordHash: string) => createHash('sha256').update(passwordHash).digest('hex').slice(0, 16)

/** A generated password: 16 random bytes, base64url (22 characters). */
const generatePassword = () => randomBytes(16).toString('base64url')

// Compared against when the email is unknown, so both failures cost the same time.
let dummyHash: string | undefined

function toSessionUser(u: { id: string, email: string, name: string, role: UserRole }): SessionUser {
  return { id: u.id, email: u.email, name: u.name, role: u.role }
}

export interface AuthenticatedUser {
  user: SessionUser
  /** Goes into the session's server-only part; see passwordVersion. */
  passwordVersion: string
}

/** The user for these credentials, or null: one answer for unknown email, wrong password and deactivated account. */
export async function verifyCredentials(email: string, password: string): Promise<AuthenticatedUser | null> {
  const db = await useDb()
  const [user] = await db.select().from(users).where(eq(users.email, email.toLowerCase())).limit(1)
  dummyHash ??= await bcrypt.hash('not a real password', useConfig().bcryptCost)
  const usable = user && !isLocked(user.passwordHash)
  const ok = await bcrypt.compare(password, usable ? user.passwordHash : dummyHash)
  return usable && ok ? { user: toSessionUser(user), passwordVersion: passwordVersion(user.passwordHash) } : null
}

/** What the sealed cookie carries besides the user: which session row it is, and the password it was started with. */
export interface SessionClaims {
  sessionId: string | undefined
  userId: string
  passwordVersion: string | undefined
}

// A session is marked as seen at most this often, so a busy dashboard does not write on every request.
const TOUCH_EVERY_MS = 5 * 60_000

/**
 * The session's user as the database has it now, with their project ids, in one query over the session row and
 * the user; null when the session was ended or expired, the user was deleted or deactivated, or their password
 * changed since the session began.
 */
export async function resolveSessionUser(claims: SessionClaims): Promise<{ user: SessionUser, projectIds: string[] } | null> {
  if (!claims.sessionId || !claims.passwordVersion) return null
  const db = await useDb()
  // kept: every dashboard API call runs it (a page's server render makes about seven)
  const [row] = await runKept(db, 'sessionUser', { sessionId: claims.sessionId, userId: claims.userId, limit: 1 }, () => db.select({
    user: { id: users.id, email: users.email, name: users.name, role: users.role, passwordHash: users.passwordHash },
    projectIds: sql<string[]>`array(select pm.project_id from project_memberships pm where pm.user_id = users.id)::text[]`,
    lastSeenAt: sessions.lastSeenAt,
  }).from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(
      eq(sessions.id, slot('sessionId')), eq(sessions.userId, slot('userId')), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`),
    ))
    .limit(slot('limit')))
  if (!row || isLocked(row.user.passwordHash) || passwordVersion(row.user.passwordHash) !== claims.passwordVersion) return null
  if (Date.now() - row.lastSeenAt.getTime() > TOUCH_EVERY_MS) await touchSession(claims.sessionId)
  return { user: toSessionUser(row.user), projectIds: row.projectIds }
}

export async function countUsers(): Promise<number> {
  const db = await useDb()
  const [row] = await db.select({ n: count() }).from(users)
  return row?.n ?? 0
}

async function insertUser(db: Db | Tx, input: { email: string, name: string, password: string, role: UserRole }) {
  const passwordHash = await hashPassword(input.password)
  const [user] = await db.insert(users).values({ email: input.email.toLowerCase(), name: input.name, passwordHash, role: input.role })
    .onConflictDoNothing().returning()
  if (!user) throw conflict('A user with this email already exists.', 'email_taken')
  return user
}

// ------------------------------------------------------------------------------------------ first run

// First-run setup: a one-time token printed in the server log, so whoever reaches a fresh exposed server first
// cannot claim it without access to the log.
let setupToken: string | undefined

/** Issues (once per process) the token the first-run setup page asks for, when no user exists yet. */
export async function issueSetupToken(): Promise<string | null> {
  if (await countUsers() > 0) return null
  setupToken ??= randomBytes(18).toString('base64url')
  return setupToken
}

/** Creates the first admin. Refused once any user exists, or without the token from the log. */
export async function completeSetup(input: SetupBody): Promise<AuthenticatedUser> {
  if (await countUsers() > 0) throw conflict('Setup is already done: sign in instead.', 'setup_done')
  const expected = Buffer.from(setupToken ?? '')
  const given = Buffer.from(input.token)
  if (!setupToken || expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw forbidden('That setup token is not the one printed in the server log.', 'bad_setup_token')
  }
  const user = await insertUser(await useDb(), { ...input, role: 'admin' })
  setupToken = undefined
  return { user: toSessionUser(user), passwordVersion: passwordVersion(user.passwordHash) }
}

/** Headless installs: creates PROOFDECK_ADMIN_EMAIL as admin when no user exists. */
export async function ensureAdminFromEnv(): Promise<SessionUser | null> {
  const admin = useConfig().admin
  if (!admin || await countUsers() > 0) return null
  const { email, password } = admin
  return toSessionUser(await insertUser(await useDb(), { email, name: email.split('@')[0] || 'admin', password, role: 'admin' }))
}

// ------------------------------------------------------------------------------------ user management

// Correlated subqueries name their tables explicitly: in a single-table select drizzle renders `${users.id}` as a
// bare "id", which the subquery would resolve against its own tables (projects.id) and match nothing.
const summaryColumns = {
  id: users.id, email: users.email, name: users.name, role: users.role, passwordHash: users.passwordHash, createdAt: users.createdAt,
  projectSlugs: sql<string[]>`array(select p.slug from project_memberships m join projects p on p.id = m.project_id where m.user_id = users.id order by p.slug)::text[]`,
  activeKeyCount: sql<number>`(select count(*)::int from api_keys k where k.user_id = users.id and k.revoked_at is null and (k.expires_at is null or k.expires_at > now()))`,
}

interface SummaryRow {
  id: string
  email: string
  name: string
  role: UserRole
  passwordHash: string
  createdAt: Date
  projectSlugs: string[]
  activeKeyCount: number
}

function toSummary(r: SummaryRow): UserSummary {
  return {
    id: r.id, email: r.email, name: r.name, role: r.role, active: !isLocked(r.passwordHash), projectSlugs: r.projectSlugs,
    activeKeyCount: r.activeKeyCount, createdAt: r.createdAt.toISOString(),
  }
}

async function readSummary(db: Db | Tx, userId: string): Promise<UserSummary> {
  const [row] = await db.select(summaryColumns).from(users).where(eq(users.id, userId)).limit(1)
  if (!row) throw notFound('No such user.')
  return toSummary(row)
}

/** Every user with role, state, memberships and working key count (admins only). Oldest first. */
export async function listUsers(scope: Scope): Promise<UserSummary[]> {
  authorize(scope, 'manage_users')
  const db = await useDb()
  const rows = await db.select(summaryColumns).from(users).orderBy(asc(users.createdAt), asc(users.email))
  return rows.map(toSummary)
}

/** Replaces a user's project memberships; unknown slugs are a 400 naming them. */
async function setMemberships(tx: Tx, userId: string, slugs: string[]): Promise<void> {
  const found = slugs.length
    ? await tx.select({ id: projects.id, slug: projects.slug }).from(projects).where(inArray(projects.slug, slugs))
    : []
  const missing = slugs.filter(s => !found.some(p => p.slug === s))
  if (missing.length) throw badRequest(`No project ${missing.slice(0, 5).map(s => `"${s}"`).join(', ')}: choose from the existing projects.`, 'unknown_project')
  await tx.delete(projectMemberships).where(eq(projectMemberships.userId, userId))
  if (found.length) await tx.insert(projectMemberships).values(found.map(p => ({ userId, projectId: p.id })))
}

// User changes are few; one transaction-scoped lock serialises them so two admins demoting each other at once
// cannot leave the install without an admin.
async function lockUserChanges(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(7365120)`)
}

/** Refuses a change that would leave no active admin. */
async function assertAnotherAdmin(tx: Tx, userId: string, what: string): Promise<void> {
  const [row] = await tx.select({ n: count() }).from(users)
    .where(and(eq(users.role, 'admin'), ne(users.id, userId), sql`left(users.password_hash, 1) <> ${LOCK}`))
  if (!row?.n) throw conflict(`This is the last active admin: make another user admin before you ${what}.`, 'last_admin')
}

/** Creates a user (admins only); without a password one is generated and returned this once. */
export async function createUser(scope: Scope, body: CreateUserBody): Promise<UserWithPassword> {
  authorize(scope, 'manage_users')
  const generatedPassword = body.password ? null : generatePassword()
  const db = await useDb()
  return db.transaction(async (tx) => {
    const user = await insertUser(tx, {
      email: body.email, name: body.name, role: body.role, password: body.password ?? generatedPassword!,
    })
    await setMemberships(tx, user.id, body.projectSlugs)
    return { user: await readSummary(tx, user.id), generatedPassword }
  })
}

/** Changes name, role, memberships or active state (admins only). The last active admin stays one. */
export async function updateUser(scope: Scope, userId: string, body: UpdateUserBody): Promise<UserSummary> {
  authorize(scope, 'manage_users')
  const db = await useDb()
  return db.transaction(async (tx) => {
    await lockUserChanges(tx)
    const [target] = await tx.select().from(users).where(eq(users.id, userId)).limit(1)
    if (!target) throw notFound('No such user.')
    const self = target.id === scope.userId
    if (body.active === false && self) throw conflict('You cannot deactivate your own account: another admin can.', 'self_lockout')
    const losesAdmin = target.role === 'admin' && !isLocked(target.passwordHash)
      && ((body.role !== undefined && body.role !== 'admin') || body.active === false)
    if (losesAdmin) await assertAnotherAdmin(tx, target.id, body.active === false ? 'deactivating this account' : 'changing this role')

    const changes: Partial<typeof users.$inferInsert> = {}
    if (body.name !== undefined) changes.name = body.name
    if (body.role !== undefined) changes.role = body.role
    if (body.active === false && !isLocked(target.passwordHash)) changes.passwordHash = LOCK + target.passwordHash
    if (body.active === true && isLocked(target.passwordHash)) changes.passwordHash = target.passwordHash.slice(LOCK.length)
    if (Object.keys(changes).length) await tx.update(users).set({ ...changes, updatedAt: new Date() }).where(eq(users.id, target.id))
    // ended, not suspended: reactivating restores the password, never the old cookies
    if (body.active === false) await endUserSessions(tx, target.id)
    if (body.projectSlugs) await setMemberships(tx, target.id, body.projectSlugs)
    return readSummary(tx, target.id)
  }).finally(forgetVerifiedKeys)
}

/**
 * Sets a new password for another user (admins only), generated unless given; their sessions end. A deactivated
 * account stays deactivated. Your own password is changed with the current one, on the account page.
 */
export async function resetUserPassword(scope: Scope, userId: string, body: ResetPasswordBody): Promise<UserWithPassword> {
  authorize(scope, 'manage_users')
  const db = await useDb()
  const [target] = await db.select({ id: users.id, passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId)).limit(1)
  if (!target) throw notFound('No such user.')
  if (target.id === scope.userId) throw badRequest('Change your own password under Account, with your current password.', 'own_password')
  const generatedPassword = body.password ? null : generatePassword()
  const hash = await hashPassword(body.password ?? generatedPassword!)
  await db.transaction(async (tx) => {
    await tx.update(users)
      .set({ passwordHash: isLocked(target.passwordHash) ? LOCK + hash : hash, updatedAt: new Date() })
      .where(eq(users.id, target.id))
    await endUserSessions(tx, target.id)
  })
  return { user: await readSummary(db, target.id), generatedPassword }
}

/** Deletes a user with their memberships and API keys (admins only); never yourself, never the last admin. */
export async function deleteUser(scope: Scope, userId: string): Promise<UserSummary> {
  authorize(scope, 'manage_users')
  const db = await useDb()
  return db.transaction(async (tx) => {
    await lockUserChanges(tx)
    const [target] = await tx.select({ id: users.id, role: users.role, passwordHash: users.passwordHash })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1)
    if (!target) throw notFound('No such user.')
    if (target.id === scope.userId) throw conflict('You cannot delete your own account: another admin can.', 'self_lockout')
    if (target.role === 'admin' && !isLocked(target.passwordHash)) await assertAnotherAdmin(tx, target.id, 'deleting this account')
    const summary = await readSummary(tx, target.id)
    await tx.delete(users).where(eq(users.id, target.id))
    return { ...summary, activeKeyCount: 0 }
  }).finally(forgetVerifiedKeys)
}

/** The caller's own account with the slugs of their projects. */
export async function getAccount(scope: Scope): Promise<AccountView> {
  const db = await useDb()
  const [row] = await db.select(summaryColumns).from(users).where(eq(users.id, scope.userId)).limit(1)
  if (!row) throw notFound('No such user.')
  return { id: row.id, email: row.email, name: row.name, role: row.role, projectSlugs: row.projectSlugs }
}

/** Changes the caller's own password after checking the current one; all their sessions end. */
export async function changeOwnPassword(scope: Scope, body: ChangePasswordBody): Promise<AuthenticatedUser> {
  const db = await useDb()
  const [user] = await db.select().from(users).where(eq(users.id, scope.userId)).limit(1)
  if (!user || isLocked(user.passwordHash)) throw notFound('No such user.')
  if (!await bcrypt.compare(body.currentPassword, user.passwordHash)) {
    throw badRequest('Your current password is not right.', 'wrong_password', { field: 'currentPassword' })
  }
  const passwordHash = await hashPassword(body.newPassword)
  // every session ends, this one too: the handler starts a fresh one for the caller
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, user.id))
    await endUserSessions(tx, user.id)
  })
  return { user: toSessionUser(user), passwordVersion: passwordVersion(passwordHash) }
}

/** Signs a user out everywhere (admins only): every live session of theirs ends; returns how many did. */
export async function revokeUserSessions(scope: Scope, userId: string): Promise<{ revoked: number }> {
  authorize(scope, 'revoke_sessions')
  const db = await useDb()
  const [target] = await db.select({ id: users.id }).from(users).where(eq(users.id, userId)).limit(1)
  if (!target) throw notFound('No such user.')
  return { revoked: await endUserSessions(db, target.id) }
}
