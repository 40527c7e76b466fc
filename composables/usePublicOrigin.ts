/**
 * The origin people and agents reach this server at (server/utils/config.ts `linksBaseUrl`: PROOFDECK_PUBLIC_URL
 * when set, else the first visit's, else the request's). Read on the server and handed to the client with the page.
 */
export function usePublicOrigin() {
  const requestOrigin = useRequestURL().origin
  return useState('public-origin', () => useRequestEvent()?.context.publicBaseUrl ?? requestOrigin)
}
