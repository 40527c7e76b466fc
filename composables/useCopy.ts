/** Copies text to the clipboard and says so in a toast (secrets shown once, commands to paste). */
export function useCopy() {
  const toast = useToast()
  /** `what` names it in the toast ("Key copied"); without it the toast says "Copied". */
  return async (text: string, what?: string) => {
    await navigator.clipboard.writeText(text)
    toast.add({ title: what ? `${what} copied` : 'Copied', color: 'success' })
  }
}
