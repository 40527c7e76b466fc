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
