/** A fixed-window counter per key, in memory (one process serves everything). */
export function createRateLimiter(limit: number, windowMs: number) {
  const hits = new Map<string, { count: number, resetAt: number }>()
  return {
    /** Counts a hit; returns the seconds to wait when over the limit, else 0. */
    hit(key: string): number {
      const now = Date.now()
      let entry = hits.get(key)
      if (!entry || entry.resetAt <= now) {
        if (hits.size > 10_000) for (const [k, v] of hits) if (v.resetAt <= now) hits.delete(k)
        entry = { count: 0, resetAt: now + windowMs }
        hits.set(key, entry)
      }
      entry.count++
      return entry.count > limit ? Math.ceil((entry.resetAt - now) / 1000) : 0
    },
    reset(key: string) { hits.delete(key) },
  }
}
