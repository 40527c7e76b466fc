import type { H3Event } from 'h3'
import { useConfig } from './config'
import { tooManyRequests } from './errors'

/** Seconds a refused client is asked to wait: about one upload's time on a busy server. */
const RETRY_AFTER_S = 5

/** Uploads in flight per API key, in this process. */
const inFlight = new Map<string, number>()

/**
 * Admission control on ingest: runs `work` in one of the key's PROOFDECK_INGEST_CONCURRENCY slots; when all are taken
 * the upload gets 429 with Retry-After before its body is read (the CLI waits that long and retries). The slot is
 * released in a finally, whatever ends the work: success, an error, or a client that went away mid-upload.
 */
export async function withIngestSlot<T>(event: H3Event, keyId: string, work: () => Promise<T>): Promise<T> {
  const limit = useConfig().ingestConcurrency
  const count = inFlight.get(keyId) ?? 0
  if (count >= limit) {
    setResponseHeader(event, 'retry-after', RETRY_AFTER_S)
    throw tooManyRequests(`This API key already has ${limit} uploads in progress (PROOFDECK_INGEST_CONCURRENCY): retry in ${RETRY_AFTER_S} s, or wait for one to finish.`)
  }
  inFlight.set(keyId, count + 1)
  try {
    return await work()
  }
  finally {
    const left = inFlight.get(keyId)! - 1
    if (left > 0) inFlight.set(keyId, left)
    else inFlight.delete(keyId)
  }
}
