import type { ApiKeyScope, UserRole } from '../constants'

export interface SessionUser {
  id: string
  email: string
  name: string
  role: UserRole
}

export interface ApiKeySummary {
  id: string
  name: string
  prefix: string
  scopes: ApiKeyScope[]
  projectSlug: string | null
  expiresAt: string | null
  lastUsedAt: string | null
  revokedAt: string | null
  createdAt: string
}

/** Returned once, at creation: the only time the raw key leaves the server. */
export interface CreatedApiKey extends ApiKeySummary {
  key: string
}
