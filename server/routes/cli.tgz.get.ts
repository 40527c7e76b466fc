import { cliTarball } from '../utils/cli-package'

/**
 * The CLI as an npm tarball, version-matched to this server: `npx --yes "$PROOFDECK_URL/cli.tgz" upload …` works on
 * any runner with Node ≥ 18 and nothing from a registry. Public: it is the same code for everyone and holds no data.
 */
export default defineEventHandler(async (event) => {
  const { bytes, etag } = await cliTarball()
  setResponseHeaders(event, {
    'content-type': 'application/gzip',
    'content-disposition': 'attachment; filename="proofdeck-cli.tgz"',
    'cache-control': 'public, max-age=300',
    'etag': etag,
  })
  if (getRequestHeader(event, 'if-none-match') === etag) {
    setResponseStatus(event, 304)
    return null
  }
  return bytes
})
