import type { AttachmentKind } from '#shared/types/attachments'

/**
 * What a stored attachment is and how it may be served. Pure: the media type from the report or the file name,
 * the page's kind (show, play, open as a trace, print, download) and the download route's headers.
 */

const EXTENSION_TYPES: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  webm: 'video/webm', mp4: 'video/mp4', zip: 'application/zip', txt: 'text/plain', log: 'text/plain', md: 'text/markdown',
  json: 'application/json', har: 'application/json', html: 'text/html', svg: 'image/svg+xml', xml: 'application/xml',
}

/** Raster images and videos a browser may render from our origin: nothing in them runs. */
const MEDIA_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'video/webm', 'video/mp4'])
/** Text shown as text/plain (so never rendered as a document, whatever it holds). */
const TEXT_TYPES = new Set(['text/plain', 'text/markdown', 'text/csv', 'text/x-log', 'application/json'])

/** The media type of a file: the report's, else from its extension, else octet-stream; lower-cased, no parameters. */
export function contentTypeOf(name: string, reported: string | null | undefined): string {
  const clean = reported?.split(';')[0]!.trim().toLowerCase()
  if (clean && /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(clean)) return clean
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase()
  return (ext && EXTENSION_TYPES[ext]) || 'application/octet-stream'
}

/** What a page does with a file: show it, play it, open it in the trace viewer, print it, or offer it for download. */
export function kindOf(name: string, contentType: string): AttachmentKind {
  if (MEDIA_TYPES.has(contentType)) return contentType.startsWith('image/') ? 'image' : 'video'
  if (contentType === 'application/zip' && /(^|[\\/])trace[^\\/]*\.zip$|^trace$/i.test(name)) return 'trace'
  if (TEXT_TYPES.has(contentType)) return 'text'
  return 'file'
}

/**
 * The headers a blob is served with. Inline only for images, videos and text (as text/plain); anything else (HTML,
 * SVG, XML, PDF, archives, unknown) as application/octet-stream and a download. Never sniffed, sandboxed either way.
 */
export function servingHeaders(a: { name: string, contentType: string, bytes: number }): Record<string, string> {
  const media = MEDIA_TYPES.has(a.contentType)
  const text = TEXT_TYPES.has(a.contentType)
  const filename = a.name.split(/[\\/]/).pop()!.replace(/[^\w.-]+/g, '_') || 'attachment'
  return {
    'content-type': media ? a.contentType : text ? 'text/plain; charset=utf-8' : 'application/octet-stream',
    'content-disposition': `${media || text ? 'inline' : 'attachment'}; filename="${filename}"`,
    'content-length': String(a.bytes),
    'x-content-type-options': 'nosniff',
    'content-security-policy': `default-src 'none'; sandbox`,
    // read again through the scope check each time: a copy in the browser outlived signing out, and losing the project
    'cache-control': 'no-store',
  }
}
