import { resolve } from 'node:path'
import { closeDb, useDbHandle } from '../db'
import { stopJobs } from '../services/jobs'
import { useConfig } from '../utils/config'

const where = (dir: string) => dir.includes('://') ? dir : resolve(dir)

/**
 * Opens and migrates the database as the server starts. If that fails the process exits with one line saying why:
 * a server that listens but cannot store anything is worse than one that is down.
 */
export default defineNitroPlugin((nitroApp) => {
  if (import.meta.prerender) return
  useDbHandle().then(
    // where the embedded database lives: started from another folder, it is another (empty) database
    h => console.info(`[proofdeck] database ready (${h.driver}${h.driver === 'pglite' ? ` in ${where(useConfig().dataDir)}` : ''})`),
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
