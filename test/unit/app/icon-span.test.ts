import { describe, expect, it } from 'vitest'
import { iconSpan, type IconOptions } from '../../../utils/icon-span'

// @nuxt/icon's defaults (its module's schema): what the app config's `icon` holds unless nuxt.config sets more
const DEFAULTS: IconOptions = { cssSelectorPrefix: 'i-', mode: 'css', class: '', size: undefined, attrs: { 'aria-hidden': true }, aliases: {} }

describe('iconSpan', () => {
  it.each([
    { what: 'a Lucide icon, the defaults', name: 'i-lucide-play', options: {},
      span: { resolved: 'lucide:play', cssClass: 'i-lucide:play', attrs: { 'aria-hidden': true, 'class': ['iconify', 'i-lucide:play'], 'style': null } } },
    { what: 'a Lucide name without the prefix', name: 'lucide-x', options: {},
      span: { resolved: 'lucide:x', cssClass: 'i-lucide:x', attrs: { 'aria-hidden': true, 'class': ['iconify', 'i-lucide:x'], 'style': null } } },
    { what: 'an alias to a Lucide icon', name: 'i-run', options: { aliases: { run: 'lucide-play' } },
      span: { resolved: 'lucide:play', cssClass: 'i-lucide:play', attrs: { 'aria-hidden': true, 'class': ['iconify', 'i-lucide:play'], 'style': null } } },
    { what: 'a default class and size', name: 'i-lucide-play', options: { class: 'shrink-0', size: 20 },
      span: { resolved: 'lucide:play', cssClass: 'i-lucide:play', attrs: { 'aria-hidden': true, 'class': ['iconify', 'i-lucide:play', 'shrink-0'], 'style': { fontSize: '20px' } } } },
    { what: 'a size with its unit', name: 'i-lucide-play', options: { size: '1.5em' },
      span: { resolved: 'lucide:play', cssClass: 'i-lucide:play', attrs: { 'aria-hidden': true, 'class': ['iconify', 'i-lucide:play'], 'style': { fontSize: '1.5em' } } } },
    { what: 'other default attributes', name: 'i-lucide-play', options: { attrs: { 'aria-hidden': true, 'data-icon': 'yes' } },
      span: { resolved: 'lucide:play', cssClass: 'i-lucide:play', attrs: { 'aria-hidden': true, 'data-icon': 'yes', 'class': ['iconify', 'i-lucide:play'], 'style': null } } },
    { what: 'another prefix', name: 'icon-lucide-play', options: { cssSelectorPrefix: 'icon-' },
      span: { resolved: 'lucide:play', cssClass: 'icon-lucide:play', attrs: { 'aria-hidden': true, 'class': ['iconify', 'icon-lucide:play'], 'style': null } } },
  ])('$what: drawn as its span', ({ name, options, span }) => {
    expect(iconSpan(name, { ...DEFAULTS, ...options })).toEqual(span)
  })

  it.each([
    { what: 'another collection', name: 'i-simple-icons-github', options: {} },
    { what: 'Lucide Lab, a collection of its own', name: 'i-lucide-lab-bee', options: {} },
    { what: 'a name with its collection', name: 'lucide:play', options: {} },
    { what: 'an alias to another collection', name: 'i-lucide-play', options: { aliases: { 'lucide-play': 'mdi-play' } } },
    { what: 'SVG mode', name: 'i-lucide-play', options: { mode: 'svg' } },
    { what: 'a customising function', name: 'i-lucide-play', options: { customize: (s: string) => s } },
  ])('$what: left to UIcon', ({ name, options }) => {
    expect(iconSpan(name, { ...DEFAULTS, ...options })).toBeNull()
  })
})
