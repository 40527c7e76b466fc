/**
 * npm run demo -- [--scale N] [--seed N] [--out DIR]
 * Writes the demo dataset as report files (one folder per upload, with its metadata) plus truth.json, so it can be
 * inspected or uploaded elsewhere with the CLI. The server loads the same dataset itself into an empty database
 * (PROOFDECK_DEMO=1, PROOFDECK_DEMO_SCALE=N).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateDemo } from '../server/demo'

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' }, seed: { type: 'string', default: '42' }, out: { type: 'string', default: '.data/demo-reports' } } })
const started = performance.now()
const demo = generateDemo({ scale: Number(values.scale), seed: Number(values.seed) })
let bytes = 0
for (const u of demo.uploads) {
  const dir = join(values.out!, u.project, u.runKey)
  mkdirSync(dir, { recursive: true })
  const { files, ...meta } = u
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 2))
  for (const f of files) {
    writeFileSync(join(dir, f.name), f.content)
    bytes += f.content.length
  }
}
writeFileSync(join(values.out!, 'truth.json'), JSON.stringify(demo.truth, null, 2))
console.log(`${demo.uploads.length} uploads (${(bytes / 1048576).toFixed(1)} MB) for ${demo.projects.length} projects written to ${values.out} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
