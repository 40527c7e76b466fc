import type { H3Event } from 'h3'
import { useDbHandle } from '../db'
import { ensureAdminFromEnv, issueSetupToken } from '../services/users'
import { reclusterStaleFingerprints } from '../services/clustering'
import { diagnoseStaleClusters } from '../services/diagnoses'
import { linksBaseUrl, rememberFirstVisit, useConfig } from '../utils/config'
import { registerStartupTask } from '../utils/startup'

/** A browser opening a page (not the API, assets or /mcp): what fixes the origin of the links. */
const isPageVisit = (event: H3Event) => event.method === 'GET' && !/^\/(api|_nuxt|mcp|cli)\b/.test(event.path)
  && (getRequestHeader(event, 'accept') ?? '').includes('text/html')

/**
 * After the database is ready: refuse a production start without a proper session secret, create the headless
 * admin when configured, or print the one-time first-run setup link; re-cluster failures fingerprinted by an older
 * algorithm version, then queue the diagnosis of clusters whose diagnosis is missing or behind their failures
 * (re-clustered ones, and any whose diagnosis was lost).
 */
export default defineNitroPlugin((nitroApp) => {
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
  // where the printed setup link points: the public URL, or where `nuxt dev` listens, or localhost at PORT
  const printedBase = linksBaseUrl(useRuntimeConfig().devOrigin || `http://localhost:${useConfig().port}`)
  registerStartupTask(useDbHandle().then(async () => {
    const admin = await ensureAdminFromEnv()
    if (admin) console.info(`[proofdeck] created admin ${admin.email} from PROOFDECK_ADMIN_EMAIL`)
    const token = await issueSetupToken()
    if (token) {
      console.info(`[proofdeck] no account yet: open ${printedBase}/setup?token=${token} to create the first admin`
        + (useConfig().publicUrl ? '' : ' (or the same path at the address you use: the link is printed again at the first visit)'))
    }
  }).catch((err: Error) => console.error(`[proofdeck] startup task failed: ${err.message}`)))
  // Without PROOFDECK_PUBLIC_URL, the first browser visit fixes the origin of every link (config.ts linksBaseUrl).
  nitroApp.hooks.hook('request', (event) => {
    const origin = getRequestURL(event).origin
    if (!isPageVisit(event) || !rememberFirstVisit(origin)) return
    console.info(`[proofdeck] links in receipts and on the pages start at ${origin}, the address of the first visit `
      + '(a session made at one address is not sent to another); set PROOFDECK_PUBLIC_URL to choose the address')
    if (origin !== printedBase) issueSetupToken().then((token) => {
      if (token) console.info(`[proofdeck] no account yet: open ${origin}/setup?token=${token} to create the first admin`)
    }).catch(() => {})
  })
  // In the background: a large history takes a while and the server serves meanwhile (uploads wait for it). Called
  // now, not once the database is open, so that no upload can start before it.
  reclusterStaleFingerprints().catch((err: Error) => console.error(`[proofdeck] re-clustering failed: ${err.message}`))
    .then(() => diagnoseStaleClusters({ queue: true }))
    .then((queued) => {
      if (queued) console.info(`[proofdeck] queued the diagnosis of ${queued} cluster(s) whose diagnosis was missing or behind`)
    })
    .catch((err: Error) => console.error(`[proofdeck] catching up on diagnoses failed: ${err.message}`))
})
