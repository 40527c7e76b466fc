import { setFlagsFromString } from 'node:v8'
import { useConfig } from '../utils/config'

/**
 * Bounds the server's heap under load. V8 lets the heap grow past what its last full collection kept by a factor it
 * picks from the allocation rate, up to 4×: under the mixed load (uploads, MCP reads, SSR pages) about 70 MB stayed
 * live but the old space grew to 230 MB and the RSS to 430 MB, never handed back while the load lasted. With a fixed
 * factor (PROOFDECK_HEAP_GROWTH_PERCENT, 25 = 1.25×) the next full collection comes sooner and the steady RSS stays
 * near 250 MB, for 5–7% fewer answers when the machine is saturated (docs/scaling.md). V8 reads the flag at each
 * full collection, so setting it at start applies to this process's heap; parse workers have their own caps
 * (PROOFDECK_PARSE_MEMORY_MB).
 */
export default defineNitroPlugin(() => {
  const percent = useConfig().heapGrowthPercent
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`)
})
