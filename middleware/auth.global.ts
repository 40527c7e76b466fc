/** Every page but sign-in and first-run setup needs a session; a fresh install is sent to setup. */
export default defineNuxtRouteMiddleware(async (to) => {
  if (to.path === '/login' || to.path === '/setup') return
  const { loggedIn } = useUserSession()
  if (loggedIn.value) return
  const { needsSetup } = await $fetch('/api/setup')
  return navigateTo(needsSetup ? '/setup' : { path: '/login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} })
})
