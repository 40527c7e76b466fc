import { and, eq, isNull, lt, or, sql } from 'drizzle-orm'
import { useDb, schema, type Db, type Tx } from '../db'

const { sessions } = schema

// Ended sessions are kept a while (for display), then dropped when their user next signs in.
const KEEP_ENDED = sql`now() - interval '30 days'`

/** Records a new session for a user who just proved who they are; returns its id for the sealed cookie. */
export async function createSession(
  userId: string,
  { maxAgeSeconds, userAgent, ip }: { maxAgeSeconds: number, userAgent: string | null, ip: string | null },
): Promise<string> {
  const db = await useDb()
  await db.delete(sessions)
    .where(and(eq(sessions.userId, userId), or(lt(sessions.expiresAt, KEEP_ENDED), lt(sessions.revokedAt, KEEP_ENDED))))
  const [row] = await db.insert(sessions).values({
    userId,
    expiresAt: new Date(Date.now() + maxAgeSeconds * 1000),
    userAgent: userAgent?.slice(0, 300) ?? null,
    ip: ip?.slice(0, 64) ?? null,
  }).returning({ id: sessions.id })
  return row!.id
}

/** Marks the session as seen now; the session check calls it at most every few minutes per session. */
export async function touchSession(sessionId: string): Promise<void> {
  const db = await useDb()
  await db.update(sessions).set({ lastSeenAt: new Date() }).where(eq(sessions.id, sessionId))
}

/** Ends one session (sign-out). Unknown or already ended ids are ignored. */
export async function endSession(sessionId: string): Promise<void> {
  const db = await useDb()
  await db.update(sessions).set({ revokedAt: new Date() }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
}

/** Ends every live session of a user (password change, deactivation, "sign out everywhere"); returns how many. */
export async function endUserSessions(db: Db | Tx, userId: string): Promise<number> {
  const ended = await db.update(sessions).set({ revokedAt: new Date() })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), sql`${sessions.expiresAt} > now()`))
    .returning({ id: sessions.id })
  return ended.length
}
