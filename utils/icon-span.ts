/** The app config's `icon` (@nuxt/icon's runtime options) as far as the span of an icon depends on it. */
export interface IconOptions {
  cssSelectorPrefix: string
  cssWherePseudo?: boolean
  cssLayer?: string
  fetchTimeout?: number
  mode?: string
  class?: string
  size?: string | number
  attrs?: Record<string, string | number | boolean>
  aliases?: Record<string, string>
  customize?: unknown
}

/** An icon LayoutIcon may draw as the span @nuxt/icon's CSS mode draws: its Iconify name, CSS class and attributes. */
export interface IconSpan {
  resolved: string
  cssClass: string
  attrs: Record<string, unknown>
}

/** A Lucide icon's bare name (`lucide-x`, the prefix taken off); `lucide-lab-*` is another collection. */
const LUCIDE = /^lucide-(?!lab-)([a-z0-9-]+)$/

/**
 * What UIcon (NuxtIcon, then NuxtIconCss) renders for `name` under `options`, when it is a plain span: a Lucide icon
 * (after the config's aliases) in CSS mode with no customising function. Null when UIcon must draw it (another
 * collection, SVG mode, a customised icon): then its rules, not a copy of them, decide.
 */
export function iconSpan(name: string, options: IconOptions): IconSpan | null {
  if ((options.mode ?? 'css') !== 'css' || options.customize) return null
  const bare = name.startsWith(options.cssSelectorPrefix) ? name.slice(options.cssSelectorPrefix.length) : name
  const lucide = LUCIDE.exec(options.aliases?.[bare] ?? bare)
  if (!lucide) return null
  const resolved = `lucide:${lucide[1]}`
  const cssClass = `${options.cssSelectorPrefix}${resolved}`
  const size = options.size
  return {
    resolved,
    cssClass,
    // NuxtIcon hands its span the config's attributes, class and size (fallthrough attributes, after the span's class)
    attrs: {
      ...options.attrs,
      class: options.class ? ['iconify', cssClass, options.class] : ['iconify', cssClass],
      style: size ? { fontSize: Number.isNaN(+size) ? size : `${size}px` } : null,
    },
  }
}
