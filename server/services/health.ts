import { useDbHandle } from '../db'

/** Whether the database answers right now. Never throws: health must answer even when everything else is down. */
export async function checkHealth(): Promise<{ status: 'ok' | 'degraded', db: 'ok' | 'unreachable' }> {
  try {
    const h = await useDbHandle()
    await Promise.race([h.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000))])
    return { status: 'ok', db: 'ok' }
  }
  catch {
    return { status: 'degraded', db: 'unreachable' }
  }
}
