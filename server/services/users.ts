import { randomBytes, timingSafeEqual } from 'node:crypto'
import bcrypt from 'bcryptjs'
import { count, eq } from 'drizzle-orm'
import { useDb, schema } from '../db'
import type { SetupBody } from '../../shared/schemas/auth'
import type { SessionUser } from '../../shared/types/auth'
import type { UserRole } from '../../shared/constants'
import { conflict, forbidden } from '../utils/errors'

const { users, projectMemberships } = schema

function bcryptCost(): number {
  const n = Number(process.env.PROOFDECK_BCRYPT_COST || 12)
  return Number.isInteger(n) && n >= 4 && n <= 15 ? n : 12
}

export const hashPassword = (password: string) => bcrypt.hash(password, bcryptCost())

// Compared against when the email is unknown, so both failures cost the same time.
let dummyHash: string | undefined

function toSessionUser(u: typeof users.$inferSelect): SessionUser {
  return { id: u.id, email: u.email, name: u.name, role: u.role }
}

/** The user for these credentials, or null: one answer for unknown email and wrong password. */
export async function verifyCredentials(email: string, password: string): Promise<SessionUser | null> {
  const db = await useDb()
  const [user] = await db.select().from(users).where(eq(users.email, email.toLowerCase())).limit(1)
  dummyHash ??= await bcrypt.hash('not a real password', bcryptCost())
  const ok = await bcrypt.compare(password, user?.passwordHash ?? dummyHash)
  return user && ok ? toSessionUser(user) : null
}

/** Reads a user for the session refresh; null when deleted since. */
export async function findUser(userId: string): Promise<SessionUser | null> {
  const db = await useDb()
  const [user] = await db.select().from(users).where(eq(users.id, userId)).limit(1)
  return user ? toSessionUser(user) : null
}

/** Project ids a user belongs to (admins see everything and are not listed here). */
export async function listMembershipProjectIds(userId: string): Promise<string[]> {
  const db = await useDb()
  const rows = await db.select({ projectId: projectMemberships.projectId }).from(projectMemberships).where(eq(projectMemberships.userId, userId))
  return rows.map(r => r.projectId)
}

export async function countUsers(): Promise<number> {
  const db = await useDb()
  const [row] = await db.select({ n: count() }).from(users)
  return row?.n ?? 0
}

/** Creates a user; the email must be new. */
export async function createUser(input: { email: string, name: string, password: string, role: UserRole }): Promise<SessionUser> {
  const db = await useDb()
  const passwordHash = await hashPassword(input.password)
  const [user] = await db.insert(users).values({ email: input.email.toLowerCase(), name: input.name, passwordHash, role: input.role })
    .onConflictDoNothing().returning()
  if (!user) throw conflict('A user with this email already exists.', 'email_taken')
  return toSessionUser(user)
}

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
export async function completeSetup(input: SetupBody): Promise<SessionUser> {
  if (await countUsers() > 0) throw conflict('Setup is already done: sign in instead.', 'setup_done')
  const expected = Buffer.from(setupToken ?? '')
  const given = Buffer.from(input.token)
  if (!setupToken || expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw forbidden('That setup token is not the one printed in the server log.', 'bad_setup_token')
  }
  const user = await createUser({ ...input, role: 'admin' })
  setupToken = undefined
  return user
}

/** Headless installs: creates PROOFDECK_ADMIN_EMAIL as admin when no user exists. */
export async function ensureAdminFromEnv(): Promise<SessionUser | null> {
  const email = process.env.PROOFDECK_ADMIN_EMAIL
  const password = process.env.PROOFDECK_ADMIN_PASSWORD
  if (!email || !password || await countUsers() > 0) return null
  return createUser({ email, name: email.split('@')[0] || 'admin', password, role: 'admin' })
}
