import { endSession } from '../services/sessions'
import { readSessionUser, sessionClaims } from '../utils/auth'

/**
 * When the dashboard reads its session (GET /api/_auth/session), check it against the database: a revoked or
 * expired session, a deleted or deactivated user, or one whose password changed since, is signed out; a changed
 * name or role shows at once. Clearing a session (logout, DELETE /api/_auth/session) ends its row, so a copy of
 * the cookie stops working too.
 */
export default defineNitroPlugin(() => {
  sessionHooks.hook('fetch', async (session, event) => {
    const claims = sessionClaims(session)
    if (!claims) return
    const found = await readSessionUser(event, claims)
    if (!found) {
      await clearUserSession(event)
      // the handler answers with this object: empty means signed out
      delete session.user
      delete session.secure
      delete session.loggedInAt
      return
    }
    const { user } = found
    if (user.name !== session.user!.name || user.role !== session.user!.role || user.email !== session.user!.email) {
      session.user = user
      await setUserSession(event, { user })
    }
  })
  sessionHooks.hook('clear', async (session) => {
    const sessionId = sessionClaims(session)?.sessionId
    if (sessionId) await endSession(sessionId)
  })
})
