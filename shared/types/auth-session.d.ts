declare module '#auth-utils' {
  interface User {
    id: string
    email: string
    name: string
    role: 'admin' | 'member' | 'viewer'
  }
  interface SecureSessionData {
    /** A digest of the password hash when the session began (server-only); see passwordVersion in server/services/users.ts. */
    passwordVersion: string
    /** The row in the sessions table (server-only): ending it there ends this cookie on every instance. */
    sessionId: string
  }
}
export {}
