/** The signed-in user's API keys (never the secrets). */
export function useApiKeys() {
  return useFetch('/api/keys', { key: 'api-keys', default: () => [] })
}
