import { resolveSessionUser } from '../services/users'

/**
 * When the dashboard reads its session (GET /api/_auth/session), check it against the database: a deleted or
 * deactivated user, or one whose password changed since, is signed out; a changed name or role shows at once.
 */
export default defineNitroPlugin(() => {
  sessionHooks.hook('fetch', async (session, event) => {
    if (!session.user) return
    const found = await resolveSessionUser(session.user.id, session.secure?.passwordVersion)
    if (!found) {
      await clearUserSession(event)
      // the handler answers with this object: empty means signed out
      delete session.user
      delete session.secure
      delete session.loggedInAt
      return
    }
    const { user } = found
    if (user.name !== session.user.name || user.role !== session.user.role || user.email !== session.user.email) {
      session.user = user
      await setUserSession(event, { user })
    }
  })
})
