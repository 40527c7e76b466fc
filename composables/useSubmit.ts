import { refocus, type Focusable } from '~/utils/focus'

/**
 * Runs a form action with a loading flag and the server's sentence as the error (our API errors carry a
 * message meant for people). `errorAt` is the element that shows the error (an alert): a failure focuses it, as
 * the control the keyboard was on was disabled while the action ran and focus had fallen to <body>.
 */
export function useSubmit(action: () => Promise<unknown>, fallback = 'That did not work. Try again.', errorAt?: () => Focusable) {
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
    if (error.value && errorAt) await refocus(errorAt)
  }
  return { loading, error, submit }
}
