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
      error.value = (err as { data?: { message?: string } }).data?.message ?? fallback
    }
    finally {
      loading.value = false
    }
  }
  return { loading, error, submit }
}
