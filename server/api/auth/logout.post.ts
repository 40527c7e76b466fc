/** Signs out: the session's row is ended (see the 'clear' hook in plugins/03.session.ts) and the cookie cleared. */
export default defineEventHandler(async (event) => {
  await clearUserSession(event)
  return { ok: true }
})
