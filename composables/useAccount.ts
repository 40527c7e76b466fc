/** The signed-in user's own account and the projects they belong to. */
export function useAccount() {
  return useFetch('/api/me', { key: 'account' })
}
