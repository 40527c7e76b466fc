import type { UserRole } from '../constants'

/** A user as the user management page shows it. Never the password hash. */
export interface UserSummary {
  id: string
  email: string
  name: string
  role: UserRole
  /** false: deactivated by an admin; cannot sign in, sessions and API keys refused. */
  active: boolean
  /** Projects the user is a member of (admins see every project and have none listed). */
  projectSlugs: string[]
  /** API keys that still work (not revoked, not expired). */
  activeKeyCount: number
  createdAt: string
}

/**
 * The answer to creating a user or resetting a password. `generatedPassword` is set only when the server made the
 * password up: it is shown this once and stored only as a bcrypt hash.
 */
export interface UserWithPassword {
  user: UserSummary
  generatedPassword: string | null
}

/** The signed-in user's own account. */
export interface AccountView {
  id: string
  email: string
  name: string
  role: UserRole
  projectSlugs: string[]
}
