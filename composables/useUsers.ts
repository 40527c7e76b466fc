/** Every user with role, memberships and state (admins only; others get a 403 in `error`). */
export function useUsers() {
  return useFetch('/api/users', { key: 'users', default: () => [] })
}
