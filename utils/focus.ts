import type { ComponentPublicInstance } from 'vue'

export type Focusable = HTMLElement | ComponentPublicInstance | null | undefined

/**
 * After an action that disabled or replaced the control the keyboard was on (Save, Quarantine, Release, Diagnose
 * again), focus `target` once the DOM shows it: the control that took its place, or the status that changed. The
 * browser had dropped focus to <body>, so the next Tab started again at the top of the page. When the user moved on
 * while the action ran, their focus stays where they put it.
 */
export async function refocus(target: () => Focusable) {
  await nextTick()
  const active = document.activeElement as HTMLElement | null
  const lost = !active || active === document.body || !active.isConnected || active.matches(':disabled')
  if (!lost) return
  const t = target()
  const el = t && '$el' in t ? t.$el as HTMLElement : t
  el?.focus()
}
