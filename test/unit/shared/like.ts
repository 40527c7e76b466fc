/** A LIKE pattern (backslash escapes) read as a regular expression, as Postgres' ilike reads it. */
export const like = (pattern: string) => new RegExp(`^${pattern.replace(/\\(.)|%|_|[.*+?^${}()|[\]]/g, (m, escaped?: string) =>
  escaped != null ? escaped.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : m === '%' ? '.*' : m === '_' ? '.' : `\\${m}`)}$`, 'is')

/** The search text of a test: title, suites, file (drizzle/0008_search.sql). */
export const searchText = (title: string, suites: readonly string[], file: string | null = null) => `${title} ${suites.join(' ')} ${file ?? ''}`
