import { useDbHandle } from '../db'
import { relabelUnexplained } from '../services/flakiness'
import { registerStartupTask } from '../utils/startup'

/**
 * After migrations: test cases labelled before labels carried a reason (and before `new` existed) are relabelled
 * from their history before the server reports healthy, so none keeps a label the current rules would not give.
 */
export default defineNitroPlugin(() => {
  if (import.meta.prerender) return
  registerStartupTask(useDbHandle().then(async () => {
    const started = Date.now()
    const n = await relabelUnexplained()
    if (n) console.info(`[proofdeck] relabelled ${n} test case(s) from their history in ${Date.now() - started} ms`)
  }).catch((err: Error) => console.error(`[proofdeck] relabelling test cases failed: ${err.message}`)))
})
