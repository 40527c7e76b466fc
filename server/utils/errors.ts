import { createError } from 'h3'

/**
 * The only way handlers and services signal an expected failure: an HTTP status, a sentence for a person, and a
 * stable `data.code` for programs. Never SQL, stack traces or secrets in the message.
 */
function httpError(statusCode: number, code: string, message: string, extra?: Record<string, unknown>) {
  return createError({ statusCode, statusMessage: message, message, data: { code, ...extra } })
}

export const badRequest = (message: string, code = 'bad_request', extra?: Record<string, unknown>) => httpError(400, code, message, extra)
export const unauthorized = (message = 'Sign in or send an API key: Authorization: Bearer pd_…', code = 'unauthorized') => httpError(401, code, message)
export const forbidden = (message: string, code = 'forbidden') => httpError(403, code, message)
export const notFound = (message: string, code = 'not_found', extra?: Record<string, unknown>) => httpError(404, code, message, extra)
export const conflict = (message: string, code = 'conflict') => httpError(409, code, message)
export const payloadTooLarge = (message: string) => httpError(413, 'payload_too_large', message)
export const unsupportedMediaType = (message: string) => httpError(415, 'unsupported_media_type', message)
export const unprocessable = (message: string, code = 'unprocessable', extra?: Record<string, unknown>) => httpError(422, code, message, extra)
export const tooManyRequests = (message: string) => httpError(429, 'rate_limited', message)
