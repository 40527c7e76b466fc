import type { H3Event } from 'h3'
import { createGunzip } from 'node:zlib'
import type { UploadedAttachment } from '../services/attachments'
import type { UploadedFile } from '../services/ingest'
import { useConfig } from './config'
import { badRequest, payloadTooLarge, unsupportedMediaType } from './errors'

const RAW_TYPES = ['application/xml', 'text/xml', 'application/json', 'text/plain', 'application/octet-stream', 'application/gzip', 'application/x-gzip']
/** How long a refused body is still read and dropped, so the client reads the 413 rather than a reset (nginx's lingering_time). */
const LINGER_MS = 30_000

const tooLarge = (limit: number) => payloadTooLarge(`The upload is larger than ${Math.round(limit / 1048576)} MB once decompressed (PROOFDECK_MAX_UPLOAD_MB). Split it into several uploads with the same runKey.`)
const tooManyParts = (max: number) => payloadTooLarge(`The upload has more than ${max} files (PROOFDECK_MAX_UPLOAD_PARTS). Send the others in further uploads with the same runKey.`)

/** The decompressed bytes an upload may still produce: one budget shared by all of its files. */
interface Budget { left: number, limit: number }

/**
 * Reads the body as it streams in (raw, chunked or multipart alike). Past the limit it stops keeping bytes and
 * throws `refusal` (a 413) while the rest is read and dropped, so the client gets the sentence instead of a reset.
 */
export function readBodyWithin(event: H3Event, limit: number, refusal: () => Error): Promise<Buffer> {
  const req = event.node.req
  // Node drops an unread body by itself once the answer is sent
  if (Number(getRequestHeader(event, 'content-length')) > limit) return Promise.reject(refusal())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const stop = (err: Error) => {
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose)
      reject(err)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      chunks.length = 0
      const linger = setTimeout(() => req.destroy(), LINGER_MS).unref()
      // a client that goes away while its rest is dropped is no error of ours
      req.once('close', () => clearTimeout(linger)).on('error', () => {}).resume()
      stop(refusal())
    }
    const onEnd = () => {
      req.off('data', onData).off('close', onClose).off('error', onClose)
      resolve(Buffer.concat(chunks, size))
    }
    // the client went away before the end: nothing to answer, but the caller's finally blocks must run
    const onClose = () => stop(badRequest('The upload was cut short by the client.', 'upload_aborted'))
    req.on('data', onData).once('end', onEnd).once('close', onClose).once('error', onClose)
  })
}

/** gunzips as it goes, stopping as soon as the upload's decompressed total passes its budget. */
async function gunzipWithin(name: string, data: Uint8Array, budget: Budget): Promise<Uint8Array> {
  if (data[0] !== 0x1F || data[1] !== 0x8B) return take(data, budget)
  const gunzip = createGunzip({ chunkSize: 256 * 1024 })
  gunzip.end(data)
  const chunks: Buffer[] = []
  let size = 0
  let over = false
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      size += chunk.length
      // leaving the loop destroys the stream: nothing past the budget is ever inflated
      if ((over = size > budget.left)) break
      chunks.push(chunk)
    }
  }
  catch {
    throw badRequest(`${name}: the file looks gzip-compressed but cannot be decompressed.`, 'bad_gzip')
  }
  if (over) throw tooLarge(budget.limit)
  return take(Buffer.concat(chunks, size), budget)
}

function take(content: Uint8Array, budget: Budget): Uint8Array {
  budget.left -= content.length
  if (budget.left < 0) throw tooLarge(budget.limit)
  return content
}

/** The multipart boundary exactly as sent: it is compared byte for byte (RFC 2046), unlike the media type. */
function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  return m?.[1] ?? m?.[2]
}

/** Counts the parts of a multipart body by its delimiters, stopping past `max`: the cap holds before any part is parsed. */
function countParts(body: Buffer, boundary: string, max: number): number {
  const delimiter = Buffer.from(`--${boundary}`)
  let count = -1 // the closing delimiter ends the last part
  for (let i = body.indexOf(delimiter); i !== -1 && count <= max; i = body.indexOf(delimiter, i + delimiter.length)) count++
  return count
}

/** An upload: its report files, and the files the reports refer to (multipart parts named `attachment`). */
export interface Upload {
  files: UploadedFile[]
  attachments: UploadedAttachment[]
}

/** Field name of the parts that carry a file a report refers to, under the path the report names it by. */
const ATTACHMENT_FIELD = 'attachment'

function checkAttachment(name: string, content: Uint8Array, count: number) {
  const { blobs } = useConfig()
  if (count > blobs.maxFiles) {
    throw payloadTooLarge(`The upload has more than ${blobs.maxFiles} attachment files (PROOFDECK_MAX_ATTACHMENTS). Send the others in further uploads with the same runKey.`)
  }
  if (content.byteLength > blobs.maxFileBytes) {
    throw payloadTooLarge(`The attachment ${name} is larger than ${Math.round(blobs.maxFileBytes / 1048576)} MB (PROOFDECK_MAX_ATTACHMENT_MB). Leave it out (proofdeck upload --max-attachment-mb) or raise the limit.`)
  }
}

async function readMultipart(event: H3Event, contentType: string, budget: Budget): Promise<Upload> {
  const { maxUploadParts, blobs } = useConfig()
  const body = await readBodyWithin(event, budget.limit, () => tooLarge(budget.limit))
  const boundary = boundaryOf(contentType)
  const maxParts = maxUploadParts + blobs.maxFiles
  if (boundary && countParts(body, boundary, maxParts) > maxParts) throw tooManyParts(maxUploadParts)
  let form: FormData
  try {
    // the body itself, not a Blob of it: a Blob is one more copy of a 50 MB upload at the moment its memory peaks
    form = await new Response(body as Uint8Array<ArrayBuffer>, { headers: { 'content-type': contentType } }).formData()
  }
  catch {
    throw badRequest('The multipart body cannot be read: check the boundary and that the upload was not cut short.', 'bad_multipart')
  }
  const files: UploadedFile[] = []
  const attachments: UploadedAttachment[] = []
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') continue
    const name = value.name || field
    const content = new Uint8Array(await value.arrayBuffer())
    if (field === ATTACHMENT_FIELD) {
      // kept as sent (a gzip file stays one): the bytes count against the body limit only
      checkAttachment(name, content, attachments.length + 1)
      attachments.push({ name, content })
      continue
    }
    if (files.length >= maxUploadParts) throw tooManyParts(maxUploadParts)
    files.push({ name, content: await gunzipWithin(name, content, budget) })
  }
  if (!files.length) throw badRequest('The multipart body has no file part: send each report as a file field, e.g. curl -F "file=@report.xml".', 'no_file')
  return { files, attachments }
}

/**
 * The report files of an upload: every file part of a multipart body (but the `attachment` parts, which carry
 * the files the reports refer to), or the raw body as one file (named by X-Proofdeck-Filename). gzip-compressed
 * report files are decompressed; the size limit holds for the body as sent and for its report files together
 * once decompressed.
 */
export async function readUploadedFiles(event: H3Event): Promise<Upload> {
  const limit = useConfig().maxUploadBytes
  const budget: Budget = { left: limit, limit }
  const contentType = getRequestHeader(event, 'content-type') ?? ''
  // the media type is case-insensitive; its parameters (the boundary) are kept as sent
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase()
  if (mediaType === 'multipart/form-data') return readMultipart(event, contentType, budget)
  if (mediaType && !RAW_TYPES.includes(mediaType)) {
    throw unsupportedMediaType(`Content-Type ${mediaType} is not accepted: send the report raw (application/xml, application/json) or as multipart/form-data.`)
  }
  const name = getRequestHeader(event, 'x-proofdeck-filename') || 'report'
  const body = await readBodyWithin(event, limit, () => tooLarge(limit))
  return { files: [{ name, content: await gunzipWithin(name, body, budget) }], attachments: [] }
}
