/**
 * The projects the signed-in user can see, with their latest run: one list the sidebar, the project picker, the
 * current project and the pages share (key `projects`). A server render reads it once: a caller that finds it fetched
 * shares that answer, one that finds it in flight waits for it (`defer`), where each used to ask for it again (four to
 * five reads of the list per page). In the browser every caller still refreshes it, as any useFetch does.
 */
export function useProjects() {
  const fetched = import.meta.server && useNuxtApp().payload.data.projects !== undefined
  return useFetch('/api/projects', { key: 'projects', default: () => [], dedupe: 'defer', immediate: !fetched })
}
