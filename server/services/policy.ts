import { forbidden } from '../utils/errors'
import type { Scope } from './scope'

/**
 * Who may do what, in one table: every role and key check of the services reads it. Reads need no action here —
 * they are limited by the scope's projects in SQL (outside the scope is a 404, not a 403).
 */
export type Action = 'ingest' | 'triage' | 'quarantine' | 'rediagnose' | 'manage_users' | 'manage_ai_settings' | 'manage_keys' | 'create_ingest_key'
  | 'revoke_any_key' | 'revoke_sessions' | 'manage_webhooks' | 'manage_project' | 'delete_project' | 'run_retention'

interface Rule {
  allows: (scope: Scope) => boolean
  refusal: string
  code: string
}

const signedIn = (scope: Scope) => scope.keyId === null
const admin = (scope: Scope) => signedIn(scope) && scope.role === 'admin'

const POLICY: Record<Action, Rule> = {
  ingest: { allows: s => s.canIngest, refusal: 'This key cannot upload runs: it needs the "ingest" scope.', code: 'missing_scope' },
  triage: {
    allows: s => signedIn(s) && s.role !== 'viewer',
    refusal: 'Only members and admins signed in to the dashboard can triage clusters.', code: 'forbidden',
  },
  quarantine: {
    allows: s => signedIn(s) && s.role !== 'viewer',
    refusal: 'Only members and admins signed in to the dashboard can quarantine or release a test.', code: 'forbidden',
  },
  manage_webhooks: {
    allows: s => signedIn(s) && s.role !== 'viewer',
    refusal: 'Only members and admins signed in to the dashboard can add or delete webhooks.', code: 'forbidden',
  },
  manage_project: {
    allows: s => signedIn(s) && s.role !== 'viewer',
    refusal: 'Only members and admins signed in to the dashboard can change project settings.', code: 'forbidden',
  },
  delete_project: { allows: admin, refusal: 'Only an admin signed in to the dashboard can delete a project.', code: 'admin_only' },
  run_retention: { allows: admin, refusal: 'Only an admin signed in to the dashboard can run the retention job.', code: 'admin_only' },
  rediagnose: { allows: s => s.role !== 'viewer', refusal: 'Viewers cannot re-run a diagnosis; ask a member or an admin.', code: 'role_forbids' },
  manage_users: { allows: admin, refusal: 'Only an admin can manage users.', code: 'admin_only' },
  manage_ai_settings: { allows: admin, refusal: 'Only an admin can see or change the AI provider settings.', code: 'admin_only' },
  manage_keys: { allows: signedIn, refusal: 'API keys cannot create API keys; sign in to the dashboard.', code: 'session_required' },
  create_ingest_key: {
    allows: s => s.role !== 'viewer', refusal: 'Viewers can create read keys only; ask an admin for an ingest key.', code: 'role_forbids_scope',
  },
  /** Admins signed in revoke anyone's keys; everyone else only their own (a filter, never a refusal). */
  revoke_any_key: { allows: admin, refusal: 'Only an admin can revoke the keys of others.', code: 'admin_only' },
  revoke_sessions: { allows: admin, refusal: 'Only an admin can sign a user out everywhere.', code: 'admin_only' },
}

/** Whether the caller may do this. */
export const can = (scope: Scope, action: Action): boolean => POLICY[action].allows(scope)

/** Throws 403 with the policy's sentence when the caller may not do this. */
export function authorize(scope: Scope, action: Action): void {
  const rule = POLICY[action]
  if (!rule.allows(scope)) throw forbidden(rule.refusal, rule.code)
}
