/**
 * A path that starts with several slashes (`$PROOFDECK_URL/cli.tgz` with a URL copied with its trailing slash) is
 * sent to the same path with one (308, so a POST is sent again as it was): no route matches `//cli.tgz`, and a page
 * would have answered the sign-in redirect where npx expected the tarball. Answered before any handler reads the path.
 */
export default defineEventHandler((event) => {
  const url = event.node.req.url ?? '/'
  // a backslash counts as a slash: browsers and URL parsers read `/\evil.com` as another host (an open redirect)
  if (!/^\/[/\\]/.test(url)) return
  return sendRedirect(event, url.replace(/^[/\\]+/, '/'), 308)
})
