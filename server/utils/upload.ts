import type { H3Event } from 'h3'
import { gunzipSync } from 'node:zlib'
import type { UploadedFile } from '../services/ingest'
import { useConfig } from './config'
import { badRequest, payloadTooLarge, unsupportedMediaType } from './errors'

const RAW_TYPES = ['application/xml', 'text/xml', 'application/json', 'text/plain', 'application/octet-stream', 'application/gzip', 'application/x-gzip']

const tooLarge = (limit: number) => payloadTooLarge(`The upload is larger than ${Math.round(limit / 1048576)} MB (PROOFDECK_MAX_UPLOAD_MB). Split it into several uploads with the same runKey.`)

/** Reads the body as it streams in, stopping (413) as soon as it passes the limit. */
async function readLimitedBody(event: H3Event, limit: number): Promise<Buffer> {
  const declared = Number(getRequestHeader(event, 'content-length'))
  if (declared > limit) throw tooLarge(limit)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of event.node.req) {
    size += (chunk as Buffer).length
    if (size > limit) {
      event.node.req.destroy()
      throw tooLarge(limit)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

function gunzipIfNeeded(name: string, data: Uint8Array, limit: number): Uint8Array {
  if (data[0] !== 0x1F || data[1] !== 0x8B) return data
  try {
    return gunzipSync(data, { maxOutputLength: limit })
  }
  catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit)
    throw badRequest(`${name}: the file looks gzip-compressed but cannot be decompressed.`, 'bad_gzip')
  }
}

/**
 * The report files of an upload: every file part of a multipart body, or the raw body as one file
 * (named by X-Proofdeck-Filename). gzip-compressed files are decompressed, within the same size limit.
 */
export async function readUploadedFiles(event: H3Event): Promise<UploadedFile[]> {
  const limit = useConfig().maxUploadBytes
  const contentType = (getRequestHeader(event, 'content-type') ?? '').toLowerCase()
  const mediaType = contentType.split(';')[0]!.trim()
  if (mediaType === 'multipart/form-data') {
    const body = await readLimitedBody(event, limit)
    let form: FormData
    try {
      form = await new Response(new Blob([body as Uint8Array<ArrayBuffer>]), { headers: { 'content-type': contentType } }).formData()
    }
    catch {
      throw badRequest('The multipart body cannot be read: check the boundary and that the upload was not cut short.', 'bad_multipart')
    }
    const files: UploadedFile[] = []
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') continue
      const name = value.name || field
      files.push({ name, content: gunzipIfNeeded(name, new Uint8Array(await value.arrayBuffer()), limit) })
    }
    if (!files.length) throw badRequest('The multipart body has no file part: send each report as a file field, e.g. curl -F "file=@report.xml".', 'no_file')
    return files
  }
  if (mediaType && !RAW_TYPES.includes(mediaType)) {
    throw unsupportedMediaType(`Content-Type ${mediaType} is not accepted: send the report raw (application/xml, application/json) or as multipart/form-data.`)
  }
  const name = getRequestHeader(event, 'x-proofdeck-filename') || 'report'
  const body = await readLimitedBody(event, limit)
  return [{ name, content: gunzipIfNeeded(name, body, limit) }]
}
