/**
 * The origin people and agents reach this server at: PROOFDECK_PUBLIC_URL when set (behind a proxy the request's own
 * origin can be an internal one), else the request's. Read on the server and handed to the client with the page.
 */
export function usePublicOrigin() {
  const requestOrigin = useRequestURL().origin
  return useState('public-origin', () => (import.meta.server ? process.env.PROOFDECK_PUBLIC_URL?.replace(/\/$/, '') : undefined) || requestOrigin)
}
