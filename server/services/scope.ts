import { inArray, sql, type Column, type SQL } from 'drizzle-orm'
import { slot, type Has } from '../db/kept'
import { plainArray } from '../db/sql'
import type { UserRole } from '#shared/constants'

/**
 * Who is calling and what they may touch. Every service function takes it first and applies it in SQL.
 * Built once per request by requireUser / requireApiKey.
 */
export interface Scope {
  userId: string
  role: UserRole
  /** Projects the caller may see; null = every project (an admin without a project-bound key). */
  projectIds: string[] | null
  canIngest: boolean
  /** Set when the caller is an API key. */
  keyId: string | null
  /** The one project a bound key is limited to. */
  boundProjectId: string | null
}

/** SQL condition limiting `column` (a project id column) to the caller's projects. */
export function inScope(scope: Scope, column: Column | SQL): SQL {
  if (scope.projectIds === null) return sql`true`
  if (scope.projectIds.length === 0) return sql`false`
  return inArray(column as Column, scope.projectIds)
}

/** The caller's projects as the value of a kept statement's `scope` slot (none given: every project). */
export const scopeSlot = (scope: Scope) => ({ scope: scope.projectIds && plainArray(scope.projectIds) })

/** inScope in a kept statement (../db/kept.ts): the projects come from the `scope` slot (scopeSlot). */
export function inScopeSlot(has: Has, column: Column | SQL): SQL {
  return has('scope') ? sql`${column} = any(${slot('scope')}::uuid[])` : sql`true`
}

/** The server itself (demo loader, benchmarks): every project, every right. Never handed to a request. */
export function systemScope(): Scope {
  return { userId: '00000000-0000-0000-0000-000000000000', role: 'admin', projectIds: null, canIngest: true, keyId: null, boundProjectId: null }
}
