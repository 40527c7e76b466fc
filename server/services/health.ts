import { noteDbError, useDbHandle } from '../db'
import { startupTasksDone } from '../utils/startup'

/**
 * Whether the database answers right now (and start-up work is finished). Never throws: health must answer even
 * when everything else is down.
 */
export async function checkHealth(): Promise<{ status: 'ok' | 'degraded', db: 'ok' | 'unreachable' }> {
  try {
    const h = await useDbHandle()
    await startupTasksDone()
    await Promise.race([h.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000))])
    return { status: 'ok', db: 'ok' }
  }
  catch (err) {
    // a lost connection found by the probe replaces the pool, so recovery does not wait for a failed request
    noteDbError(err)
    return { status: 'degraded', db: 'unreachable' }
  }
}
