/**
 * A text box bound to one filter in the URL: what is typed goes to the URL after a pause (`apply`, as the value
 * `normalize` makes of it), and the box follows the URL when it changes otherwise (Back, a link), never while a
 * change typed here is still waiting, which would drop the keys typed meanwhile.
 */
export function useTypedFilter(current: () => string, apply: (value: string) => void, normalize: (text: string) => string) {
  const text = ref(current())
  let timer: ReturnType<typeof setTimeout> | undefined
  let pending = false
  watch(text, (v) => {
    clearTimeout(timer)
    pending = normalize(v) !== current()
    if (pending) {
      timer = setTimeout(() => {
        pending = false
        apply(normalize(v))
      }, 300)
    }
  })
  watch(current, (value) => {
    if (!pending && value !== normalize(text.value)) text.value = value
  })
  onBeforeUnmount(() => clearTimeout(timer))
  return text
}
