import type { SearchClusterHit, SearchTestHit } from '#shared/types/search'

/** The rows "More" added to the search page's lists, for the search they belong to (its API query). */
export interface SearchMore {
  key: string
  tests: SearchTestHit[]
  clusters: SearchClusterHit[]
  cursors: { tests: string | null, clusters: string | null }
}

/** The history state that keeps them (plain data: a browser history entry holds a structured clone). */
export const searchMoreState = (more: SearchMore) => ({ searchMore: JSON.parse(JSON.stringify(more)) as SearchMore })

/** What a history entry's state kept for this search, or null (another search, another page, an older build's state). */
export function readSearchMore(state: unknown, key: string): SearchMore | null {
  const kept = (state as Partial<ReturnType<typeof searchMoreState>> | null)?.searchMore
  if (!kept || kept.key !== key || !Array.isArray(kept.tests) || !Array.isArray(kept.clusters) || typeof kept.cursors !== 'object' || !kept.cursors) return null
  return kept
}
