/** The projects the signed-in user can see, with their latest run. */
export function useProjects() {
  return useFetch('/api/projects', { key: 'projects', default: () => [] })
}
