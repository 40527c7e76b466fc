import { useDbHandle } from '../db'
import { loadDemoIfEmpty } from '../services/demo'

/** Development (or PROOFDECK_DEMO=1): an empty database gets the demo dataset, so every page shows something real. */
export default defineNitroPlugin(() => {
  if (import.meta.prerender) return
  const flag = process.env.PROOFDECK_DEMO
  if (!(flag ? flag === '1' || flag === 'true' : import.meta.dev)) return
  useDbHandle()
    .then(() => loadDemoIfEmpty({ scale: Number(process.env.PROOFDECK_DEMO_SCALE || 1) }))
    .then((r) => {
      if (r.loaded) console.info(`[proofdeck] demo data loaded: ${r.runs} runs, ${r.results} results in ${(r.ms / 1000).toFixed(1)} s`)
    })
    .catch((err: Error) => console.error(`[proofdeck] demo data not loaded: ${err.message}`))
})
