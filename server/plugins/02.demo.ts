import { useDbHandle } from '../db'
import { loadDemoIfEmpty } from '../services/demo'
import { useConfig } from '../utils/config'

/** Development (or PROOFDECK_DEMO=1): an empty database gets the demo dataset, so every page shows something real. */
export default defineNitroPlugin(() => {
  if (import.meta.prerender) return
  const { demo, demoScale } = useConfig()
  if (!(demo ?? import.meta.dev)) return
  useDbHandle()
    .then(() => loadDemoIfEmpty({ scale: demoScale }))
    .then((r) => {
      if (r.loaded) console.info(`[proofdeck] demo data loaded: ${r.runs} runs, ${r.results} results in ${(r.ms / 1000).toFixed(1)} s`)
    })
    .catch((err: Error) => console.error(`[proofdeck] demo data not loaded: ${err.message}`))
})
