/** Rules for UI tests whose locator matched too many elements, none, or one that never became actionable. */
import type { ClusterContextData } from '#shared/types/diagnosis'
import { anyOf, clip, duration, extractLocator, extractWait } from '../extract'
import type { Finding, MessageRule } from '../types'

/** The locator the message names, else the one the cluster was fingerprinted with. */
const locatorOf = (f: Finding, ctx: ClusterContextData) => f.facts.locator ?? ctx.cluster.locator ?? undefined

export const strictMode: MessageRule = {
  id: 'strict-mode', category: 'locator',
  patterns: [{
    strength: 0.9,
    match: /strict mode violation/i,
    facts: text => ({ locator: extractLocator(text), count: text.match(/resolved to (\d+) elements/)?.[1] }),
  }],
  describe: (f, ctx) => {
    const loc = locatorOf(f, ctx)
    const { count } = f.facts
    return {
      summary: `Locator ${loc ?? '(see message)'} matched ${count ?? 'several'} elements where exactly one was expected (strict mode)`,
      rootCause: `The page now renders ${count ?? 'more than one'} element matching ${loc ?? 'the locator'}, `
        + 'so Playwright refuses to guess which one to use. Usually a UI change duplicated '
        + 'the element (a second button, a list, a modal copy) or the locator is too broad.',
      fix: 'Make the locator unique: scope it to its container, use a role with its accessible name, or a dedicated data-testid; '
        + 'if several matches are expected, pick one explicitly (.first() or .nth()) only when the order is meaningful.',
      look: `Print what ${loc ?? 'the locator'} resolves to (await locator.count(), `
        + 'locator.evaluateAll(els => els.map(e => e.outerHTML))) on the failing commit.',
      change: 'Change one thing: narrow the locator and keep the rest of the test as it is.',
      plug: 'Check the plug: was the app built from the commit you think (no stale build), with the same feature flags as before?',
    }
  },
  why: x => `The locator resolved to ${x.count ?? 'several'} elements.`,
}

export const locatorNotFound: MessageRule = {
  id: 'locator-not-found', category: 'locator',
  patterns: [{
    strength: 0.75,
    match: anyOf('i',
      /element\(s\) not found|\belement not found\b|No node found for selector|Unable to (?:locate|find) (?:an )?element/,
      /NoSuchElementException|but never found it|TestingLibraryElementError|Received: <element\(s\) not found>/,
      /waiting for (?:locator|getBy\w+|selector)/,
    ),
    // a timeout whose call log shows the element was found is an actionability wait, and a web-first assertion with a
    // received value found its element: neither is a missing element
    when: text => /element\(s\) not found/i.test(text)
      || (!/resolved to|locator resolved/i.test(text) && !/^\s*Received(?: string| value)?:/m.test(text)),
    facts: text => ({ locator: extractLocator(text), ...extractWait(text) }),
  }],
  describe: (f, ctx) => {
    const loc = locatorOf(f, ctx)
    return {
      summary: `Locator ${loc ?? '(see message)'} matched no element${f.facts.ms ? ` within ${duration(f.facts.ms)}` : ''}`,
      rootCause: `The element the test looks for never appeared: ${loc ?? 'the locator'} matches nothing on the `
        + 'page. Either the markup changed (renamed test id, text or role), the page is in another state '
        + 'than expected (error page, not logged in, different route), or it appears later than the timeout.',
      fix: `Compare the DOM at the failing step with ${loc ?? 'the locator'}: if the markup changed on purpose, update `
        + 'the locator (prefer role/name or a stable data-testid); if the element should be there, fix the page.',
      look: 'Open the trace or the failure screenshot of the cited run and check what the page actually showed at that step.',
      change: 'Change one thing: update the locator only, or raise the timeout once to tell "late" from "never" — not both.',
      plug: 'Check the plug: right base URL, the app started and seeded, logged '
        + 'in as the expected user, feature flags as in the last green run.',
    }
  },
  why: x => `The element ${x.locator ?? ''} was not found.`.replace(' .', '.'),
}

export const elementNotActionable: MessageRule = {
  id: 'element-not-actionable', category: 'locator',
  patterns: [{
    // found, but covered by another element or hidden until the action timed out: the locator targets the wrong element
    strength: 0.7,
    match: /intercepts pointer events|element is not visible|element is outside of the viewport/i,
    when: text => /Timeout|timed out|exceeded/i.test(text),
    facts: text => ({
      locator: extractLocator(text),
      ...extractWait(text),
      blocker: clip(text.match(/(<[^\n]+?>)(?: from <[^\n]+?>)?(?: subtree)? intercepts pointer events/)?.[1], 120),
    }),
  }],
  describe: (f, ctx) => {
    const loc = locatorOf(f, ctx)
    const { blocker } = f.facts
    const miss = blocker
      ? `another element (${blocker}) sits on top of it and receives the clicks`
      : 'it stays hidden or outside the viewport'
    return {
      summary: `Locator ${loc ?? '(see message)'} found an element that never became actionable${blocker ? `: ${blocker} covers it` : ''}`,
      rootCause: `${loc ?? 'The locator'} resolves to an element, but the action never landed on it before the `
        + `timeout: ${miss}. The locator targets the wrong element (an input under its floating label, `
        + 'a hidden duplicate) or an overlay (a dialog, a spinner, a cookie banner) is still open.',
      fix: 'Target the element the user actually interacts with (the label or visible control, by role and name), or '
        + 'wait for the overlay to go away; do not force the action with { force: true }, which hides the real problem.',
      look: 'Open the trace of the cited run at the failing action: the call log names the '
        + 'element that intercepts the pointer, and the snapshot shows what covers the target.',
      change: 'Change one thing: point the locator at the covering (or visible) element, or close the overlay first, and re-run.',
      plug: 'Check the plug: viewport size, theme and UI library version as in '
        + 'the last green run (a layout change can move a label over an input).',
    }
  },
  why: (x) => {
    const blocked = x.blocker ? `: ${x.blocker} intercepts the pointer` : ''
    return `The element${x.locator ? ` ${x.locator}` : ''} was found but never became actionable${blocked}.`
  },
}
