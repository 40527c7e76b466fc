/**
 * The cursors of the list pages this tab walked through to the current one, oldest first ('' is the first page):
 * kept in the state of the page's browser history entry (LayoutCursorPager pushes one entry per page), so Back and a
 * reload keep it right. Read in the browser after hydration; empty on the server, and after a shared link.
 */
export function usePagerTrail() {
  const route = useRoute()
  const trail = ref<string[]>([])
  const read = () => {
    const kept = (window.history.state as { pagerTrail?: unknown } | null)?.pagerTrail
    trail.value = Array.isArray(kept) ? kept.filter((c): c is string => typeof c === 'string') : []
  }
  onMounted(() => {
    read()
    watch(() => route.fullPath, read, { flush: 'post' })
  })
  return trail
}
