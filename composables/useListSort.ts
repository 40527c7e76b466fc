/**
 * A server-sorted list's order kept in the URL (`sort` and `dir`, read from the page's query filters): a header
 * clicked again turns the order round; another column starts in its natural order, a title ascending and a number
 * descending (the order the API takes when `dir` is left out, which the URL then leaves out too).
 */
export function useListSort(
  current: () => { sort: string, dir: string },
  set: (patch: Record<string, string | null>) => unknown,
  fallback: () => string,
) {
  const natural = (key: string) => key === 'title' ? 'asc' : 'desc'
  const sort = computed(() => {
    const key = current().sort || fallback()
    return { key, dir: (current().dir || natural(key)) as 'asc' | 'desc' }
  })
  /** An order as chosen whole (a phone's sort select): a column and its direction. */
  function sortTo(key: string, dir: 'asc' | 'desc') {
    set({ sort: key, dir: dir === natural(key) ? null : dir })
  }
  function sortBy(key: string) {
    sortTo(key, sort.value.key === key ? (sort.value.dir === 'asc' ? 'desc' : 'asc') : natural(key))
  }
  return { sort, sortBy, sortTo }
}
