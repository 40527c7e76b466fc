/** What changed lately and wants a person: new and regressed clusters, tests that became flaky. */
export function useAttention(days: MaybeRefOrGetter<number> = 7) {
  return useFetch('/api/attention', { key: 'attention', query: { days, limit: 10 } })
}
