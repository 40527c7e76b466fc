import { createHash } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { useDb, schema } from '../db'
import { rowsOf } from '../db/sql'

/**
 * Throttles in the database, so several app instances behind a load balancer share them: a fixed-window limit
 * (hits per window per key) and a back-off (after `free` failures each further one makes the key wait 1 s, 2 s,
 * 4 s… up to `capMs`, forgotten `forgetMs` after the last failure). Keys are hashed with the limit's name.
 */

const { throttles } = schema

export interface WindowLimit { name: string, limit: number, windowMs: number }
export interface Backoff { name: string, free: number, capMs: number, forgetMs: number }

const idOf = (name: string, key: string) => createHash('sha256').update(`${name}\n${key}`).digest('base64url')
const secondsLeft = (until: Date | string | null | undefined) =>
  until ? Math.max(0, Math.ceil((new Date(until).getTime() - Date.now()) / 1000)) : 0

let lastSweep = 0
/** Now and then (at most every 10 minutes per process), rows whose window and wait are over are deleted. */
async function sweep(): Promise<void> {
  if (Date.now() - lastSweep < 10 * 60_000) return
  lastSweep = Date.now()
  const db = await useDb()
  await db.delete(throttles).where(sql`${throttles.resetAt} < now() and (${throttles.blockedUntil} is null or ${throttles.blockedUntil} < now())`)
}

/** Counts a hit of the key; returns the seconds to wait when it is over the limit, else 0. */
export async function hitLimit(limit: WindowLimit, key: string): Promise<number> {
  const db = await useDb()
  await sweep()
  const [row] = rowsOf<{ count: number, reset_at: string }>(await db.execute(sql`
    insert into throttles (id, count, reset_at) values (${idOf(limit.name, key)}, 1, now() + ${`${limit.windowMs} milliseconds`}::interval)
    on conflict (id) do update set
      count = case when throttles.reset_at <= now() then 1 else throttles.count + 1 end,
      reset_at = case when throttles.reset_at <= now() then excluded.reset_at else throttles.reset_at end
    returning count, reset_at`))
  return row!.count > limit.limit ? secondsLeft(row!.reset_at) : 0
}

/** Seconds before the next hit of the key would be allowed (0 = now), without counting one. */
export async function limitWait(limit: WindowLimit, key: string): Promise<number> {
  const db = await useDb()
  const [row] = await db.select().from(throttles).where(eq(throttles.id, idOf(limit.name, key)))
  return row && row.resetAt.getTime() > Date.now() && row.count >= limit.limit ? secondsLeft(row.resetAt) : 0
}

/** Seconds this key must still wait after its failures (0 = it may try now). */
export async function backoffWait(backoff: Backoff, key: string): Promise<number> {
  const db = await useDb()
  const [row] = await db.select({ blockedUntil: throttles.blockedUntil }).from(throttles).where(eq(throttles.id, idOf(backoff.name, key)))
  return secondsLeft(row?.blockedUntil)
}

/** Records a failure of the key: past the free ones, it waits twice as long as after the previous one. */
export async function backoffFail(backoff: Backoff, key: string): Promise<void> {
  const db = await useDb()
  await sweep()
  const count = sql`case when throttles.reset_at <= now() then 1 else throttles.count + 1 end`
  await db.execute(sql`
    insert into throttles (id, count, reset_at) values (${idOf(backoff.name, key)}, 1, now() + ${`${backoff.forgetMs} milliseconds`}::interval)
    on conflict (id) do update set
      count = ${count},
      reset_at = excluded.reset_at,
      blocked_until = case when ${count} > ${backoff.free}
        then now() + least(1000 * power(2, least(${count} - ${backoff.free} - 1, 30)), ${backoff.capMs}) * interval '1 millisecond' end`)
}

/** Forgets the key (a successful sign-in). */
export async function clearThrottle(throttle: WindowLimit | Backoff, key: string): Promise<void> {
  const db = await useDb()
  await db.delete(throttles).where(eq(throttles.id, idOf(throttle.name, key)))
}
