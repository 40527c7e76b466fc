/** The investigation steps of a diagnosis and the command that reproduces a failure. Pure. */
import type { ClusterContextData, ContextError, JvmBuild } from '#shared/types/diagnosis'
import { contextTest } from '#shared/diagnosis'
import { jvmClassOf } from '#shared/test-names'
import { GO_PACKAGE_FAILED, goPackageOf } from '#shared/go-tests'
import { rustTestOf, type RustTest } from '#shared/rust-tests'
import type { DiagnosisText, StepHints } from './types'

export const pct = (x: number) => `${Math.round(x * 100)}%`
export const short = (sha: string | null | undefined) => sha ? sha.slice(0, 10) : ''

const loop = (cmd: string, repeat: number) => repeat ? `for i in $(seq ${repeat}); do ${cmd} || break; done` : cmd

/** A JVM test's method from its title (`contextLoads()`, `adds(int, int)[2]`); null for a display name. */
const JVM_METHOD = /^([A-Za-z_$][\w$]*)(?:\(.*\))?(?:\[\d+\])?$/

/**
 * The command that runs one JVM test with its build: Gradle's test task of its module with `--tests` (rerun each
 * time when repeated: Gradle skips a task whose inputs did not change), or Maven's with `-Dtest` in its module.
 */
function jvmCommand(build: JvmBuild, binaryName: string, title: string, repeat: number): string {
  const method = JVM_METHOD.exec(title)?.[1]
  const modules = Array.isArray(build.module) ? build.module : build.module ? [build.module] : []
  if (build.tool === 'gradle') {
    // the root project (or a module uploaded from its own folder) runs `test` where the command is run, not `:test`
    const tasks = modules.length
      ? modules.map(m => `${m.split('/').filter(Boolean).map(p => `:${p}`).join('')}:${build.task ?? 'test'}`).join(' ')
      : build.task ?? 'test'
    const filter = method ? `${binaryName}.${method}` : binaryName
    return loop(`./gradlew ${tasks} --tests '${filter}'${repeat ? ' --rerun' : ''}`, repeat)
  }
  const module = build.standalone ? `-f ${modules[0]}/pom.xml ` : modules.length ? `-pl ${modules.join(',')} ` : ''
  const cls = binaryName.split('.').pop()!
  const filter = method ? `${cls}#${method}` : cls
  return loop(build.task === 'verify' ? `mvn ${module}-Dit.test='${filter}' verify` : `mvn ${module}-Dtest='${filter}' test`, repeat)
}

/** Single-quoted for a POSIX shell. */
const quoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** pytest's classname: the module's dotted path, then the test classes (`Test…`, pytest's default). */
const PYTEST_CLASSNAME = /^((?:[A-Za-z_]\w*\.)*?(?:test_\w*|\w+_test))((?:\.Test\w*)*)$/

/** go test's `-run` pattern of one test: each level anchored, as go test splits it at `/`. */
const goRun = (title: string) => title.split('/').map(level => `^${level.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`).join('/')

/** `go test` of one test of a package (an import path, or ./dir of its file); the whole package when it failed as one. */
function goCommand(pkg: string, title: string, repeat: number): string {
  const run = GO_PACKAGE_FAILED.test(title) ? '' : ` -run ${quoted(goRun(title))}`
  return `go test${run} ${pkg}${repeat ? ` -count=${repeat} -failfast` : ''}`
}

/**
 * `cargo test` of one Rust test by its name, `--exact` so `tests::adds` does not also run `tests::adds_twice`; a
 * doc-test by its item (rustdoc's filter takes `parse_cents`, not the whole `src/lib.rs - parse_cents (line 14)`).
 */
function cargoCommand(t: RustTest, repeat: number): string {
  const arg = (s: string) => /^[\p{L}\p{N}_:]+$/u.test(s) ? s : quoted(s)
  if (t.kind === 'doc') return loop(`cargo test --doc ${arg(t.name.slice(t.name.lastIndexOf(' - ') + 3).replace(/ \(line \d+\)$/, ''))}`, repeat)
  return loop(`cargo test ${arg(t.name)} -- --exact`, repeat)
}

/**
 * A command that runs just this test, guessed from its file, suite and variant, and for a JVM test from the build its
 * run says ran it (Gradle or Maven; nothing tool-specific when it does not say); `repeat` runs it that many times
 * (stopping at the first failure). pytest's default report (xunit2) and both Go reporters write no file: pytest's
 * classname (`tests.test_pricing.TestInvoice`) names its module and classes, a Go test's last suite its package; libtest
 * names a Rust test by its module path (shared/rust-tests.ts).
 */
export function reproCommand(e: Pick<ContextError, 'file' | 'test' | 'variant' | 'build'>, repeat = 0): string {
  const { title: bare, suitePath: suite } = contextTest(e.test)
  const rust = rustTestOf({ suitePath: suite, title: bare })
  if (rust) return cargoCommand(rust, repeat)
  const title = bare.replace(/"/g, '\\"')
  const last = suite[suite.length - 1] ?? ''
  const file = e.file ?? ''
  const py = PYTEST_CLASSNAME.exec(last)
  if (/\.py$/.test(file) || (!file && py && /^test/.test(bare))) {
    const classes = py?.[2] ? py[2].slice(1).split('.') : []
    const module = /\.py$/.test(file) ? file : `${py![1]!.replace(/\./g, '/')}.py`
    return loop(`pytest ${quoted([module, ...classes, bare].join('::'))}`, repeat)
  }
  if (/_test\.go$/.test(file)) return goCommand(`./${file.replace(/\/[^/]+$/, '')}`, bare, repeat)
  const goPackage = file ? null : goPackageOf({ suitePath: suite, title: bare })
  if (goPackage) return goCommand(goPackage, bare, repeat)
  if (/_spec\.rb$/.test(file)) return loop(`bundle exec rspec ${file} -e "${title}"`, repeat)
  if (/\.[cm]?[jt]sx?$/.test(file)) {
    if (e.variant) return `npx playwright test ${file} -g "${title}" --project=${e.variant}${repeat ? ` --repeat-each=${repeat} -x` : ''}`
    return loop(`npx vitest run ${file} -t "${title}"`, repeat)
  }
  const cls = jvmClassOf({ suitePath: suite, title: bare })
  if (cls && e.build) return jvmCommand(e.build, cls.binaryName, bare, repeat)
  return `run "${e.test}"${file ? ` from ${file}` : ''} alone${repeat ? `, ${repeat} times in a row` : ''}`
}

function reproduce(hints: StepHints, e: ContextError | undefined): string {
  if (!e) return 'Reproduce: run the failing test alone on the failing commit.'
  const how = hints.repeat
    ? 'run the test many times in a row, since one green run proves nothing: '
    : `check out ${e.commit ? `commit ${short(e.commit)}` : 'the failing commit'}${e.branch ? ` (${e.branch})` : ''} `
      + 'and run the test alone: '
  const jest = /npx vitest/.test(reproCommand(e)) ? ' (with jest: `npx jest <file> -t "<title>"`)' : ''
  return `Reproduce: ${how}\`${reproCommand(e, hints.repeat?.reproduce ?? 0)}\`${jest}${hints.afterReproduce ?? '.'}`
}

function divide(hints: StepHints, ctx: ClusterContextData, e: ContextError | undefined): string {
  const ff = ctx.firstFailure
  if (hints.divide) return hints.divide
  if (ff?.lastGreenRun?.commit && ff.run.commit && ff.lastGreenRun.commit !== ff.run.commit) {
    const apart = ff.commitsTotal > 1 ? `, ${ff.commitsTotal} CI runs apart` : ''
    return `Divide and conquer: it passed at ${short(ff.lastGreenRun.commit)} (run ${ff.lastGreenRun.runId}) and failed at `
      + `${short(ff.run.commit)} (run ${ff.run.runId})${apart}; bisect that range: `
      + `\`git bisect start ${short(ff.run.commit)} ${short(ff.lastGreenRun.commit)}\`.`
  }
  if (e?.failingSteps.length) {
    return `Divide and conquer: the failing step is "${e.failingSteps[0]!.split(':')[0]}"; run the steps before it alone, then add them `
      + 'back one by one until it fails.'
  }
  return 'Divide and conquer: cut the test (or its setup) in half and check which half fails; repeat until one line is left.'
}

function verify(hints: StepHints, ctx: ClusterContextData, e: ContextError | undefined): string {
  const run = e ? `\`${reproCommand(e, hints.repeat?.verify ?? 10)}\`` : 'the test many times'
  return `Verify the fix: run ${run}${hints.repeat ? ' and require zero failures' : ''}, then watch this cluster (${ctx.cluster.id}): `
    + `no new occurrences on ${ctx.cluster.branches[0] ?? 'the main branch'} `
    + 'after the fix; mark it resolved with a note saying what fixed it.'
}

/** The six steps of the classic debugging discipline, filled in with the facts of this case. */
export function investigation(hints: StepHints, text: DiagnosisText, ctx: ClusterContextData, e: ContextError | undefined): string[] {
  // the category texts may open with the step's own name; say it once
  const bare = (t: string) => t.replace(/^(?:change one thing(?: at a time)?|check the plug)\s*:\s*/i, '')
  return [
    reproduce(hints, e), `Look at the actual values: ${text.look}`, divide(hints, ctx, e),
    `Change one thing at a time: ${bare(text.change)}`, `Check the plug: ${bare(text.plug)}`, verify(hints, ctx, e),
  ]
}
