/**
 * The project the sidebar is about: the one in the URL when there is one, else the last one visited (kept in a
 * cookie so a reload or a server render agrees), else the first the user can see. Pages that show a run, a test
 * or a cluster call `select` with its project once their data is in.
 */
export function useCurrentProject() {
  const route = useRoute()
  const remembered = useCookie<string | null>('pd-project', { default: () => null, sameSite: 'lax', maxAge: 60 * 60 * 24 * 365 })
  const { data: projects } = useProjects()
  const slug = computed(() => {
    const fromRoute = route.params.projectSlug
    const known = projects.value.map(p => p.slug)
    // a slug in the URL that is not one of the user's projects is a 404 page, not a project for the sidebar
    if (typeof fromRoute === 'string' && fromRoute && (!known.length || known.includes(fromRoute))) return fromRoute
    if (remembered.value && known.includes(remembered.value)) return remembered.value
    return known[0] ?? null
  })
  const project = computed(() => projects.value.find(p => p.slug === slug.value) ?? null)
  // Client only, after the page is in: on the server the sidebar is rendered before the page knows its project, and
  // changing it mid-render would make the hydrated sidebar differ from the server's.
  function select(next: string | null | undefined) {
    if (import.meta.server || !next || remembered.value === next) return
    onNuxtReady(() => { remembered.value = next })
  }
  watch(() => route.params.projectSlug, s => select(typeof s === 'string' ? s : null), { immediate: true })
  return { slug, project, projects, select }
}
