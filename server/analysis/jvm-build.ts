/**
 * Which JVM build ran a test, Gradle or Maven, and in which module, from what its run stored: the uploaded reports'
 * paths, its report's properties and its stack. Pure. Null when nothing says: a command for the wrong tool (a Maven
 * command for a Gradle build) costs a reader more than none.
 */
import type { JvmBuild } from '#shared/types/diagnosis'

export interface JvmBuildSignals {
  /** The file names of the run's uploads, as sent (a path when the upload gave one, `api/build/test-results/…`). */
  reportFiles: readonly string[]
  /** The result's properties (Surefire writes the JVM's system properties into every report). */
  properties: Readonly<Record<string, string>> | null
  stack: string | null
  /** The test's class by its binary name (com.example.api.ApplicationTests), whose report is TEST-<it>.xml. */
  binaryName: string | null
}

/** Gradle's report of a test task: `<module>/build/test-results/<task>/TEST-<class>.xml`. */
const GRADLE_REPORT = /^(?:(.*)\/)?build\/test-results\/([^/]+)\/[^/]+$/
/** Maven's reports: `<module>/target/surefire-reports/` (the test phase) or `failsafe-reports/` (integration tests). */
const MAVEN_REPORT = /^(?:(.*)\/)?target\/(surefire|failsafe)-reports\/[^/]+$/
/** Frames of the runner that called the test: Gradle's test worker, Surefire's forked booter. */
const GRADLE_FRAME = /\bat (?:worker\.)?org\.gradle\./
const MAVEN_FRAME = /\bat org\.apache\.maven\.surefire\./

function fromPath(file: string): JvmBuild | null {
  const path = file.replace(/\\/g, '/').replace(/^\.\//, '')
  const g = GRADLE_REPORT.exec(path)
  if (g) return { tool: 'gradle', module: g[1] ?? '', task: g[2]! }
  const m = MAVEN_REPORT.exec(path)
  return m ? { tool: 'maven', module: m[1] ?? '', task: m[2] === 'failsafe' ? 'verify' : 'test' } : null
}

/** Maven's module from Surefire's properties: the module's base directory under the reactor's root. */
function mavenModule(p: Readonly<Record<string, string>>): string | null {
  const root = p['maven.multiModuleProjectDirectory']?.replace(/\\/g, '/').replace(/\/+$/, '')
  const base = p.basedir?.replace(/\\/g, '/').replace(/\/+$/, '')
  if (!root || !base) return null
  return base === root ? '' : base.startsWith(`${root}/`) ? base.slice(root.length + 1) : null
}

export function jvmBuildOf(s: JvmBuildSignals): JvmBuild | null {
  const own = s.binaryName ? s.reportFiles.filter(f => f.replace(/\\/g, '/').split('/').pop() === `TEST-${s.binaryName}.xml`) : []
  const ownBuilds = own.map(fromPath).filter(b => b !== null)
  if (ownBuilds.length) {
    const build = ownBuilds[0]!
    // the same class in two modules (a run folds them into one test): the command runs it in each
    const modules = [...new Set(ownBuilds.filter(b => b.tool === build.tool).map(b => b.module as string))]
    const module = modules.length > 1 ? modules : build.module
    // Surefire's properties say the module is a project of its own when its base directory is the build's root
    const standalone = build.tool === 'maven' && !!build.module && !Array.isArray(module) && s.properties && mavenModule(s.properties) === ''
    return { ...build, module, ...standalone ? { standalone: true } : {} }
  }
  // the run's other reports say the tool; the module only when they all sit in one
  const builds = s.reportFiles.map(fromPath).filter(b => b !== null)
  const tools = new Set(builds.map(b => b.tool))
  if (tools.size === 1) {
    const same = <K extends 'module' | 'task'>(k: K) => new Set(builds.map(b => b[k])).size === 1 ? builds[0]![k] : null
    return { tool: builds[0]!.tool, module: same('module'), task: same('task') }
  }
  const p = s.properties ?? {}
  if (Object.keys(p).some(k => /^(?:maven|surefire)\./.test(k))) return { tool: 'maven', module: mavenModule(p), task: null }
  if (s.stack && GRADLE_FRAME.test(s.stack)) return { tool: 'gradle', module: null, task: null }
  if (s.stack && MAVEN_FRAME.test(s.stack)) return { tool: 'maven', module: null, task: null }
  return null
}
