/**
 * Runs a form action with a loading flag and the server's sentence as the error (our API errors carry a
 * message meant for people).
 */
export function useSubmit(action: () => Promise<unknown>, fallback = 'That did not work. Try again.') {
  const loading = ref(false)
  const error = ref<string | null>(null)
  async function submit() {
    loading.value = true
    error.value = null
    try {
      await action()
    }
    catch (err) {
      const body = (err as { data?: { message?: string, data?: { issues?: { message: string }[] } } }).data
      // one invalid field: its sentence alone, not prefixed with the API's field name ("expiresAt: An expiry is…")
      const issues = body?.data?.issues
      error.value = (issues?.length === 1 ? issues[0]!.message : body?.message) ?? fallback
    }
    finally {
      loading.value = false
    }
  }
  return { loading, error, submit }
}
