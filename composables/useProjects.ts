/**
 * The projects the signed-in user can see, with their latest run: one list the sidebar, the project picker, the
 * current project and the pages share (key `projects`). A server render reads it once: a caller that finds it fetched
 * shares that answer, one that finds it in flight waits for it (`defer`), where each used to ask for it again (four to
 * five reads of the list per page). In the browser the list is fetched as any shared useFetch is, and a refresh
 * replaces a request in flight (`cancel`), so a refresh after a change never returns the list from before it.
 */
export function useProjects() {
  const fetched = import.meta.server && useNuxtApp().payload.data.projects !== undefined
  // a caller that fetches prefetches on the server, which makes it an id boundary (useId), and the browser marks every
  // caller so: one that shares the fetched list stays a boundary, or the ids after it would differ on hydration
  if (fetched && getCurrentInstance()) onServerPrefetch(() => {})
  return useFetch('/api/projects', {
    key: 'projects', default: () => [], dedupe: import.meta.server ? 'defer' : 'cancel', immediate: !fetched,
  })
}
