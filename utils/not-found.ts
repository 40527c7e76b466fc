import { isUuid } from '#shared/uuid'

/** What a page is about, as the not-found page names it. */
export type MissingThing = 'run' | 'project' | 'test' | 'cluster'

/**
 * The API's 404 for the thing a page is about becomes the branded not-found page (error.vue): a 404 status on
 * the server render, no Retry (retrying cannot make it exist), and no sidebar naming a project that is not there.
 * Other errors (5xx, network) stay in the page, with their Retry.
 */
export function throwIfNotFound(error: { statusCode?: number } | null | undefined, what: MissingThing, id: string) {
  // an id that cannot be one (a link cut short in a chat, a run number that is not one) names nothing either: the
  // API's 400 says so to a client, the page says "not found" to a person. Projects are slugs, any of which may exist
  const malformed = what !== 'project' && error?.statusCode === 400 && !isUuid(id)
  if (error?.statusCode !== 404 && !malformed) return
  throw createError({ statusCode: 404, statusMessage: 'Not Found', data: { what, id }, fatal: true })
}
