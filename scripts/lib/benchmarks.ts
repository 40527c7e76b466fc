import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'

const FILE = 'BENCHMARKS.md'
const HEADER = '# Benchmarks\n\nFigures measured by the scripts named in each section; re-run them to update.\n'

/** "2 × Intel(R) Xeon(R) Processor, 24 GiB RAM, Node v20.20.2": the machine every figure is quoted with. */
export function machineLine(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`
}

/**
 * A process's CPU time so far in ms (user + system, every thread: /proc/<pid>/stat in clock ticks of 10 ms). Per request
 * it is the work a request costs, which the machine's load stretches far less than the wall-clock time.
 */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/**
 * Replaces (or appends) the section of BENCHMARKS.md headed `## <title> (\`npm run <script>\`)`, so each bench
 * script owns its section and leaves the others alone.
 */
export function writeBenchmarkSection(title: string, script: string, body: string): void {
  const heading = `## ${title} (\`npm run ${script}\`)`
  const section = `${heading}\n\n${body.trim()}\n`
  const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER
  const start = current.indexOf(heading)
  let next: string
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`
  }
  else {
    const end = current.indexOf('\n## ', start + heading.length)
    next = current.slice(0, start) + section + (end < 0 ? '' : current.slice(end))
  }
  writeFileSync(FILE, next)
  console.log(`\nwrote ${FILE} (${heading.slice(3)})`)
}
