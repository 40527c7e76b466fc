import { useDbHandle } from '../db'
import { ensureAdminFromEnv, issueSetupToken } from '../services/users'
import { reclusterStaleFingerprints } from '../services/clustering'
import { diagnoseStaleClusters } from '../services/diagnoses'
import { publicBaseUrl, useConfig } from '../utils/config'
import { registerStartupTask } from '../utils/startup'

/**
 * After the database is ready: refuse a production start without a proper session secret, create the headless
 * admin when configured, or print the one-time first-run setup link; re-cluster failures fingerprinted by an older
 * algorithm version, then queue the diagnosis of clusters whose diagnosis is missing or behind their failures
 * (re-clustered ones, and any whose diagnosis was lost).
 */
export default defineNitroPlugin(() => {
  if (import.meta.prerender) return
  const password = useRuntimeConfig().session?.password ?? ''
  if (password.length < 32) {
    if (!import.meta.dev) {
      console.error('[proofdeck] cannot start: NUXT_SESSION_PASSWORD must be set to at least 32 random characters (e.g. `openssl rand -base64 32`).')
      process.exit(1)
    }
    // Development generates one (nuxt.config.ts) unless a short one was set by hand.
    console.warn('[proofdeck] NUXT_SESSION_PASSWORD is shorter than 32 characters, so sign-in will fail: unset it to use the generated development secret.')
  }
  registerStartupTask(useDbHandle().then(async () => {
    const admin = await ensureAdminFromEnv()
    if (admin) console.info(`[proofdeck] created admin ${admin.email} from PROOFDECK_ADMIN_EMAIL`)
    const token = await issueSetupToken()
    if (token) {
      const base = publicBaseUrl(`http://localhost:${useConfig().port}`)
      console.info(`[proofdeck] no account yet: open ${base}/setup?token=${token} to create the first admin`)
    }
  }).catch((err: Error) => console.error(`[proofdeck] startup task failed: ${err.message}`)))
  // In the background: a large history takes a while and the server serves meanwhile.
  useDbHandle().then(async () => {
    const started = Date.now()
    const n = await reclusterStaleFingerprints()
    if (n) console.info(`[proofdeck] re-clustered the failures of ${n} cluster(s) after a fingerprint algorithm change in ${Date.now() - started} ms`)
  }).catch((err: Error) => console.error(`[proofdeck] re-clustering failed: ${err.message}`))
    .then(() => diagnoseStaleClusters({ queue: true }))
    .then((queued) => {
      if (queued) console.info(`[proofdeck] queued the diagnosis of ${queued} cluster(s) whose diagnosis was missing or behind`)
    })
    .catch((err: Error) => console.error(`[proofdeck] catching up on diagnoses failed: ${err.message}`))
})
