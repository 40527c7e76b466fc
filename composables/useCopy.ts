/** Copies text to the clipboard and says so in a toast (secrets shown once, commands to paste). */
export function useCopy() {
  const toast = useToast()
  return async (text: string) => {
    await navigator.clipboard.writeText(text)
    toast.add({ title: 'Copied', color: 'success' })
  }
}
