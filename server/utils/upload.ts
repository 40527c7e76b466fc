import type { H3Event } from 'h3'
import { createGunzip } from 'node:zlib'
import Busboy from 'busboy'
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
export async function readBodyWithin(event: H3Event, limit: number, refusal: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = []
  const size = await streamBodyWithin(event, limit, refusal, chunk => chunks.push(chunk))
  return Buffer.concat(chunks, size)
}

/** readBodyWithin's reading: each chunk goes to `take` as it arrives; resolves with the body's size at its end. */
function streamBodyWithin(event: H3Event, limit: number, refusal: () => Error, take: (chunk: Buffer) => void): Promise<number> {
  const req = event.node.req
  // Node drops an unread body by itself once the answer is sent
  if (Number(getRequestHeader(event, 'content-length')) > limit) return Promise.reject(refusal())
  return new Promise((resolve, reject) => {
    let size = 0
    const stop = (err: Error) => {
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose)
      reject(err)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) return void take(chunk)
      const linger = setTimeout(() => req.destroy(), LINGER_MS).unref()
      // a client that goes away while its rest is dropped is no error of ours
      req.once('close', () => clearTimeout(linger)).on('error', () => {}).resume()
      stop(refusal())
    }
    const onEnd = () => {
      req.off('data', onData).off('close', onClose).off('error', onClose)
      resolve(size)
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

/** A file part of a multipart body, as it arrived. */
interface Part {
  field: string
  name: string
  chunks: Buffer[]
  size: number
}

/** busboy's reasons, said for what a client can fix (a part header past 16 KB is almost always a very long file name). */
const UNREADABLE: [RegExp, string][] = [
  [/part header/i, 'a part\'s headers cannot be read: each part needs a Content-Disposition header, and its headers, the file name included, must stay under 16 KB.'],
  [/end of (?:form|file)/i, 'it ends before its closing boundary: check the boundary in Content-Type and that the upload was not cut short.'],
]
const unreadable = (error?: Error) => badRequest(`The multipart body cannot be read: ${
  UNREADABLE.find(([re]) => re.test(error?.message ?? ''))?.[1] ?? 'check the boundary and that the upload was not cut short.'}`, 'bad_multipart')

/**
 * The parts of a multipart body, read as it streams in (busboy): each file part's bytes are kept as they arrive and
 * the body itself is not, so a 50 MB upload is held once, not as the body, a parsed form and each part's copy.
 */
async function readMultipart(event: H3Event, contentType: string, budget: Budget): Promise<Upload> {
  const { maxUploadParts, blobs } = useConfig()
  const maxParts = maxUploadParts + blobs.maxFiles
  let parser: Busboy.Busboy
  try {
    // the boundary is taken as sent (RFC 2046 compares it byte for byte); names may be UTF-8, as browsers send them,
    // and keep their paths (an attachment part is named by the path its report gives it)
    parser = Busboy({
      headers: { 'content-type': contentType }, defParamCharset: 'utf8', preservePath: true, limits: { parts: maxParts, files: maxParts },
    })
  }
  catch {
    throw unreadable()
  }
  const parts: Part[] = []
  let failure: Error | null = null
  parser.on('file', (field, stream, info) => {
    const part: Part = { field, name: info.filename || field, chunks: [], size: 0 }
    parts.push(part)
    stream.on('data', (chunk: Buffer) => {
      part.chunks.push(chunk)
      part.size += chunk.length
    })
  })
  // past the limits busboy drops the further parts and reads on to the end, where the 413 is answered
  parser.on('partsLimit', () => failure ??= tooManyParts(maxUploadParts))
  parser.on('filesLimit', () => failure ??= tooManyParts(maxUploadParts))
  let broken = false
  const done = new Promise<void>((resolve) => {
    parser.once('close', resolve)
    parser.on('error', (error: Error) => {
      broken = true
      failure ??= unreadable(error)
      resolve()
    })
  })
  await streamBodyWithin(event, budget.limit, () => tooLarge(budget.limit), (chunk) => {
    if (!broken) parser.write(chunk)
  })
  if (!broken) parser.end()
  await done
  if (failure) throw failure
  const files: UploadedFile[] = []
  const attachments: UploadedAttachment[] = []
  for (const part of parts) {
    const content = Buffer.concat(part.chunks, part.size)
    part.chunks = []
    if (part.field === ATTACHMENT_FIELD) {
      // kept as sent (a gzip file stays one): the bytes count against the body limit only
      checkAttachment(part.name, content, attachments.length + 1)
      attachments.push({ name: part.name, content })
      continue
    }
    if (files.length >= maxUploadParts) throw tooManyParts(maxUploadParts)
    files.push({ name: part.name, content: await gunzipWithin(part.name, content, budget) })
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
  // a report's gzip is read from its bytes, whatever the header says; any other coding would be read as garbled text
  const coding = (getRequestHeader(event, 'content-encoding') ?? '').trim().toLowerCase()
  if (coding && coding !== 'identity' && (mediaType === 'multipart/form-data' || !['gzip', 'x-gzip'].includes(coding))) {
    throw unsupportedMediaType(mediaType === 'multipart/form-data'
      ? `Content-Encoding ${coding} is not accepted on a multipart body: send it as is, with each report file gzip-compressed if you like (report.xml.gz).`
      : `Content-Encoding ${coding} is not accepted: send the report as is or gzip-compressed (Content-Encoding: gzip).`)
  }
  if (mediaType === 'multipart/form-data') return readMultipart(event, contentType, budget)
  if (mediaType && !RAW_TYPES.includes(mediaType)) {
    throw unsupportedMediaType(`Content-Type ${mediaType} is not accepted: send the report raw (application/xml, application/json) or as multipart/form-data.`)
  }
  const name = getRequestHeader(event, 'x-proofdeck-filename') || 'report'
  const body = await readBodyWithin(event, limit, () => tooLarge(limit))
  return { files: [{ name, content: await gunzipWithin(name, body, budget) }], attachments: [] }
}
