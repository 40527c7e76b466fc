import appConfig from '#build/app.config'

/**
 * What app.config gives a Nuxt UI component's theme (`ui.<name>`), for a theme merged as the component merges it:
 * `tv({ extend: theme, ...uiConfig(name) })`.
 */
export function uiConfig(name: string): object {
  return (appConfig as { ui?: Record<string, object> }).ui?.[name] ?? {}
}

/**
 * A component's classes worked out once per look (the props that decide them), for LayoutBadge, LayoutButton and
 * LayoutCard: the Nuxt UI components they stand in for build their variant function per instance, the theme merged
 * again for each badge, button or card a page renders. The looks a page uses are few, so what each gives is kept.
 */
export function byLook<P, L>(classesOf: (look: P) => L): (look: P) => L {
  const looks = new Map<string, L>()
  return (look) => {
    const key = JSON.stringify(look)
    let found = looks.get(key)
    if (found === undefined) looks.set(key, found = classesOf(look))
    return found
  }
}

/**
 * A native <select> in the look of Nuxt UI's inputs: the list pages' filters and a phone's sort, native on purpose
 * (LayoutBranchSelect says why).
 */
export const SELECT_LOOK = 'h-8 rounded-md bg-default px-2.5 text-sm text-highlighted ring ring-inset ring-accented focus:outline-none focus-visible:ring-2 focus-visible:ring-primary'
