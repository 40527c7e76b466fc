/**
 * The cursors of the list pages this tab walked through to the current one, oldest first ('' is the first page):
 * kept in the state of the page's browser history entry (LayoutCursorPager pushes one entry per page), so Back and a
 * reload keep it right. Read in the browser after hydration; empty on the server, and after a shared link.
 */
/** The history state a list page is pushed with: the trail of pages before it (usePagerTrail reads it back). */
export const pagerTrailState = (trail: string[]) => ({ pagerTrail: trail })

export function usePagerTrail() {
  const route = useRoute()
  const trail = ref<string[]>([])
  const read = () => {
    const kept = (window.history.state as Partial<Record<keyof ReturnType<typeof pagerTrailState>, unknown>> | null)?.pagerTrail
    trail.value = Array.isArray(kept) ? kept.filter((c): c is string => typeof c === 'string') : []
  }
  onMounted(() => {
    read()
    watch(() => route.fullPath, read, { flush: 'post' })
  })
  return trail
}
