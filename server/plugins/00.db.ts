import { closeDb, useDbHandle } from '../db'
import { stopJobs } from '../services/jobs'

/**
 * Opens and migrates the database as the server starts. If that fails the process exits with one line saying why:
 * a server that listens but cannot store anything is worse than one that is down.
 */
export default defineNitroPlugin((nitroApp) => {
  if (import.meta.prerender) return
  useDbHandle().then(
    h => console.info(`[proofdeck] database ready (${h.driver})`),
    (err: Error) => {
      console.error(`[proofdeck] cannot start: ${err.message}`)
      process.exit(1)
    },
  )
  // the job queue first: its workers still write to the database
  nitroApp.hooks.hook('close', async () => {
    await stopJobs()
    await closeDb()
  })
})
