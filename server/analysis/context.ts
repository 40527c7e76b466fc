/**
 * The context bundle of one failure cluster: everything a person, a coding agent or an LLM needs to explain it,
 * assembled from evidence the service loaded, redacted, and cut to a token budget with every cut said out loud.
 * Pure: no database, no clock, no network. The same bundle feeds the rule engine, an LLM and `get_cluster_context`.
 */
import type { ClusterStatus, FailureCategory, TestStatus } from '#shared/constants'
import type {
  ClusterContext, ClusterContextData, ContextAffectedTest, ContextError, ContextLogExcerpt, ContextRunRef, ContextRunStat, JvmBuild,
  ContextSimilarCluster,
} from '#shared/types/diagnosis'
import { stripAnsi } from './ansi'
import { toMarkdown } from './context-markdown'
import { createRedactor } from './redact'

export const DEFAULT_CONTEXT_TOKENS = 6000

export interface EvidenceStep {
  title: string
  status?: TestStatus | string | null
  error?: string | null
  steps?: EvidenceStep[]
}

/** A failing result as loaded from the database, full text. */
export interface EvidenceResult {
  resultId: string
  runId: string
  testCaseId: string
  test: string
  file: string | null
  variant: string | null
  branch: string | null
  commit: string | null
  at: string
  status: TestStatus
  attempts: number
  errorMessage: string | null
  errorStack: string | null
  stdout: string | null
  stderr: string | null
  steps: EvidenceStep[] | null
  /** The JVM build that ran it (analysis/jvm-build.ts), null when its run does not say. */
  build?: JvmBuild | null
}

/** Everything the loader gathers about one cluster; dates are ISO strings. */
export interface ClusterEvidence {
  cluster: {
    id: string
    project: string
    title: string
    errorType: string
    category: FailureCategory
    locator: string | null
    location: string | null
    status: ClusterStatus
    statusNote: string | null
    occurrences: number
    affectedTests: number
    branches: string[]
    firstSeenAt: string
    lastSeenAt: string
  }
  /** Representative failures in priority order (see pickRepresentatives). */
  samples: EvidenceResult[]
  affectedTests: ContextAffectedTest[]
  affectedTestsTotal: number
  /** Runs the cluster appeared in, newest first: the newest ones and every infrastructure run (capped). */
  runs: ContextRunStat[]
  runsTotal: number
  /** Occurrences (all time) that were an outage's: in runs where most of the suite failed, or in a shard or job that did. */
  infraHits: number
  days: { day: string, occurrences: number }[]
  branches: { branch: string, occurrences: number }[]
  firstFailure: {
    run: ContextRunRef
    lastGreenRun: ContextRunRef | null
    commits: { sha: string, message: string | null, runId: string, at: string }[]
  } | null
  similarResolved: ContextSimilarCluster[]
}

export interface ContextOptions {
  budgetTokens?: number
  /** Exact strings that must never appear (e.g. a configured provider key). */
  secrets?: readonly string[]
}

/** Token estimate used for budgets: stack traces, paths and ids tokenise densely, so 3.5 characters a token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5)
}

/**
 * An error "variant": the message head with volatile parts (numbers, ids, hex, durations) masked but values in
 * quotes kept. Two failures of one cluster with different variants are different evidence.
 */
export function errorVariant(message: string | null): string {
  if (!message) return ''
  const head = stripAnsi(message).split(/\n\s*Call log:/)[0]!.split('\n').map(l => l.trim()).filter(Boolean).slice(0, 3).join(' ')
  return head
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{7,}\b/gi, '<hex>')
    .replace(/\d+(?:\.\d+)?/g, '#')
    .replace(/\s+/g, ' ')
    .slice(0, 300)
}

/**
 * Chooses up to `max` representative failures: the newest of each distinct variant first, then other tests, then
 * the first occurrence ever (what it looked like when it started).
 */
export function pickRepresentatives(
  candidates: { resultId: string, testCaseId: string, message: string | null, at: string }[],
  max = 3,
): string[] {
  const sorted = [...candidates].sort((a, b) => b.at.localeCompare(a.at) || b.resultId.localeCompare(a.resultId))
  const picked: string[] = []
  const variants = new Set<string>()
  const tests = new Set<string>()
  const take = (c: typeof sorted[number]) => {
    if (picked.length >= max || picked.includes(c.resultId)) return
    picked.push(c.resultId)
    variants.add(errorVariant(c.message))
    tests.add(c.testCaseId)
  }
  for (const c of sorted) if (!variants.has(errorVariant(c.message))) take(c)
  for (const c of sorted) if (!tests.has(c.testCaseId)) take(c)
  const first = sorted[sorted.length - 1]
  if (first) take(first)
  return picked
}

const FRAME = /^\s*(?:at\s|File "|\S+\.(?:py|rb|go|rs|php|ex|exs):\d+(?::|\b)|\S+\(\S+\.(?:java|kt|scala|groovy):\d+\)|[\w$.]+\([^)]*\)\s*$|#\d+\s|\t\S+\.go:\d+)/
const LIBRARY = /node_modules\/|node:internal|\(internal\/|\binternal\/(?:process|modules)|site-packages\/|dist-packages\/|\/usr\/lib\/|\/usr\/local\/go\/|java\.base\/|jdk\.internal\.|sun\.reflect\.|org\.junit\.|org\.apache\.maven\.|<frozen |\/_pytest\/|pluggy\//

/** Stack lines with the repeated message head dropped and library frames folded; null when nothing is left. */
export function trimStack(stack: string | null, message: string, maxFrames: number): string | null {
  if (!stack) return null
  const messageLines = new Set(stripAnsi(message).split('\n').map(l => l.trim()).filter(Boolean))
  const lines = stripAnsi(stack).split('\n').map(l => l.replace(/\s+$/, '')).filter(l => l.trim())
  let i = 0
  while (i < lines.length && !FRAME.test(lines[i]!) && messageLines.has(lines[i]!.trim())) i++
  const out: string[] = []
  let frames = 0
  let folded = 0
  let cut = 0
  for (const line of lines.slice(i)) {
    if (FRAME.test(line)) {
      if (LIBRARY.test(line)) {
        folded++
        continue
      }
      if (frames >= maxFrames) {
        cut++
        continue
      }
      if (folded) out.push(`    … ${folded} library frame${folded > 1 ? 's' : ''}`)
      folded = 0
      frames++
      out.push(line.length > 300 ? `${line.slice(0, 300)}…` : line)
    }
    else if (frames < maxFrames) {
      if (folded) out.push(`    … ${folded} library frame${folded > 1 ? 's' : ''}`)
      folded = 0
      out.push(line.length > 300 ? `${line.slice(0, 300)}…` : line)
    }
  }
  if (folded) out.push(`    … ${folded} library frame${folded > 1 ? 's' : ''}`)
  if (cut) out.push(`    … ${cut} more frame${cut > 1 ? 's' : ''}`)
  return out.length ? out.join('\n') : null
}

/** A stack with line and column numbers masked: equal for the same code path. */
const stackShape = (stack: string) => stack.replace(/:\d+(?::\d+)?/g, ':#').replace(/\d+/g, '#')

/** Runs of identical lines (spinners, retries, repeated log lines) folded into one line and a count. */
function foldRepeats(text: string): string {
  const out: string[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length;) {
    let j = i + 1
    while (j < lines.length && lines[j] === lines[i]) j++
    out.push(lines[i]!)
    if (j - i > 2) out.push(`[… the same line ${j - i - 1} more times]`)
    else if (j - i === 2) out.push(lines[i]!)
    i = j
  }
  return out.join('\n')
}

function truncateLines(text: string, maxLines: number, maxChars: number): { text: string, cut: boolean } {
  const lines = foldRepeats(text).split('\n')
  let out = lines.slice(0, maxLines).join('\n')
  let cut = lines.length > maxLines
  if (out.length > maxChars) {
    out = out.slice(0, maxChars)
    cut = true
  }
  return { text: cut ? `${out}\n[… truncated]` : out, cut }
}

/** Paths of the steps that failed, innermost last: "Checkout › Pay: Error: …". */
export function failingSteps(steps: EvidenceStep[] | null, max = 5): string[] {
  const out: string[] = []
  const walk = (list: EvidenceStep[], path: string[]) => {
    for (const s of list) {
      const here = [...path, s.title]
      const failed = s.error != null || s.status === 'failed' || s.status === 'errored'
      const childFailed = s.steps?.some(c => c.error != null || c.status === 'failed' || c.status === 'errored')
      if (failed && !childFailed) {
        const err = s.error ? `: ${stripAnsi(s.error).split('\n')[0]!.slice(0, 200)}` : ''
        out.push(`${here.join(' › ')}${err}`)
      }
      if (s.steps?.length) walk(s.steps, here)
    }
  }
  walk(steps ?? [], [])
  return out.slice(0, max)
}

const LOG_ANCHOR = /error|fail|exception|panic|timed? ?out|refused|denied|not found|fatal|traceback|killed|unhandled|reject|ECONN|ENOTFOUND|EACCES|ENOENT/i

/** The part of a log around the error: the last line that looks like one (or mentions the message), with context. */
export function logExcerpt(log: string | null, stream: 'stdout' | 'stderr', message: string, maxLines: number): ContextLogExcerpt | null {
  if (!log || maxLines <= 0) return null
  const lines = stripAnsi(log).split('\n')
  while (lines.length && !lines[lines.length - 1]!.trim()) lines.pop()
  if (!lines.length) return null
  const needle = stripAnsi(message).split('\n')[0]!.trim().slice(0, 40)
  let anchor = -1
  for (let i = lines.length - 1; i >= 0; i--) {
    if ((needle.length > 8 && lines[i]!.includes(needle)) || LOG_ANCHOR.test(lines[i]!)) {
      anchor = i
      break
    }
  }
  let from: number
  if (anchor < 0) from = Math.max(0, lines.length - maxLines)
  else from = Math.max(0, Math.min(anchor - Math.ceil(maxLines * 0.7), lines.length - maxLines))
  const to = Math.min(lines.length, from + maxLines)
  const text = foldRepeats(lines.slice(from, to).map(l => l.length > 300 ? `${l.slice(0, 300)}…` : l).join('\n'))
  return { stream, fromLine: from + 1, toLine: to, totalLines: lines.length, text }
}

/** How similar two cluster signatures are: token overlap of the titles, with a bonus for the same error type. */
export function signatureSimilarity(
  a: { title: string, errorType: string, locator: string | null },
  b: { title: string, errorType: string, locator: string | null },
): number {
  const tokens = (s: string) => new Set(stripAnsi(s).toLowerCase().split(/[^a-z0-9_]+/).filter(t => t.length > 1 && !/^\d+$/.test(t)))
  const x = tokens(a.title)
  const y = tokens(b.title)
  if (!x.size || !y.size) return 0
  let both = 0
  for (const t of x) if (y.has(t)) both++
  let score = both / (x.size + y.size - both)
  if (a.errorType === b.errorType) score += 0.1
  if (a.locator && a.locator === b.locator) score += 0.2
  return Math.min(1, Math.round(score * 100) / 100)
}

/** How much of the evidence is shown: the budget loop shrinks these. */
interface View {
  errors: number
  messageLines: number
  messageChars: number
  frames: number
  logLines: number
  steps: boolean
  tests: number
  days: number
  runs: number
  commits: number
  similar: number
}

const FULL_VIEW: View = {
  errors: 3, messageLines: 40, messageChars: 4000, frames: 15, logLines: 30, steps: true,
  tests: 20, days: 30, runs: 12, commits: 20, similar: 3,
}

/** Shrinking steps, least valuable evidence first. */
const REDUCTIONS: ((v: View) => void)[] = [
  v => void (v.logLines = Math.min(v.logLines, 12)),
  v => void (v.days = Math.min(v.days, 14)),
  v => void (v.similar = Math.min(v.similar, 1)),
  v => void (v.tests = Math.min(v.tests, 10)),
  v => void (v.runs = Math.min(v.runs, 6)),
  v => void (v.commits = Math.min(v.commits, 8)),
  v => void (v.frames = Math.min(v.frames, 8)),
  v => void (v.errors = Math.min(v.errors, 2)),
  v => void (v.logLines = 0),
  v => void (v.tests = Math.min(v.tests, 5)),
  v => void (v.steps = false),
  v => void (v.errors = 1),
  v => Object.assign(v, {
    messageLines: Math.min(v.messageLines, 15), messageChars: Math.min(v.messageChars, 1500), frames: Math.min(v.frames, 4),
  }),
  v => Object.assign(v, { days: 0, runs: Math.min(v.runs, 3), commits: Math.min(v.commits, 3), similar: 0, tests: Math.min(v.tests, 3) }),
  v => Object.assign(v, { messageLines: 6, messageChars: 600, frames: 2 }),
]

/** Builds the bundle within the budget. */
export function assembleClusterContext(evidence: ClusterEvidence, options: ContextOptions = {}): ClusterContext {
  const budget = options.budgetTokens ?? DEFAULT_CONTEXT_TOKENS
  const view = { ...FULL_VIEW }
  const section = (omitted: string[]) => omitted.length ? `\n## Omitted\n${omitted.map(o => `- ${o}`).join('\n')}\n` : ''
  const size = (b: ReturnType<typeof render>) => estimateTokens(b.markdown + section(b.omitted))
  let built = render(evidence, view, options.secrets ?? [])
  for (const reduce of REDUCTIONS) {
    if (size(built) <= budget) break
    reduce(view)
    built = render(evidence, view, options.secrets ?? [])
  }
  let markdown = built.markdown
  if (size(built) > budget) {
    built.omitted.push(`The markdown was cut at the ${budget}-token budget after all other reductions.`)
    const keep = Math.max(0, Math.floor(budget * 3.5) - section(built.omitted).length - 60)
    markdown = `${markdown.slice(0, keep)}\n\n[… cut at the token budget]\n`
  }
  markdown += section(built.omitted)
  return {
    clusterId: evidence.cluster.id, markdown, data: built.data, omitted: built.omitted,
    approxTokens: estimateTokens(markdown), budgetTokens: budget,
  }
}

type Redact = ReturnType<typeof createRedactor>['redact']

/** The representative errors the view shows, each message, stack and log cut to it; says in `omitted` what was cut. */
function representativeErrors(samples: EvidenceResult[], view: View, redact: Redact, omitted: string[]): ContextError[] {
  const errors: ContextError[] = []
  const shapes: string[] = []
  let messagesCut = 0
  let logsCut = 0
  for (const s of samples.slice(0, view.errors)) {
    const rawMessage = stripAnsi(s.errorMessage ?? s.errorStack?.split('\n')[0] ?? '(no error message)')
    const message = truncateLines(rawMessage.trim(), view.messageLines, view.messageChars)
    if (message.cut) messagesCut++
    const stack = trimStack(s.errorStack, rawMessage, view.frames)
    let sameStackAs: number | null = null
    if (stack) {
      const shape = stackShape(stack)
      const earlier = shapes.indexOf(shape)
      if (earlier >= 0) sameStackAs = earlier
      shapes.push(shape)
    }
    else shapes.push('')
    const logs = (['stderr', 'stdout'] as const)
      .map(stream => logExcerpt(stream === 'stdout' ? s.stdout : s.stderr, stream, rawMessage, view.logLines))
      .filter((l): l is ContextLogExcerpt => !!l)
      .map(l => ({ ...l, text: redact(l.text) }))
    if (logs.some(l => l.toLine - l.fromLine + 1 < l.totalLines)) logsCut++
    errors.push({
      resultId: s.resultId, runId: s.runId, testCaseId: s.testCaseId, test: redact(s.test), file: s.file, variant: s.variant,
      branch: s.branch, commit: s.commit, at: s.at, status: s.status, attempts: s.attempts,
      message: redact(message.text),
      stack: sameStackAs == null ? redact(stack) : null,
      sameStackAs,
      failingSteps: view.steps ? failingSteps(s.steps).map(x => redact(x)) : [],
      logs,
      ...(s.build ? { build: s.build } : {}),
    })
  }
  const hadLogs = samples.slice(0, view.errors).some(s => s.stdout || s.stderr)
  if (samples.length > view.errors) omitted.push(`${samples.length - view.errors} of ${samples.length} representative errors not shown (${samples.slice(view.errors).map(s => `result ${s.resultId}`).join(', ')}).`)
  if (messagesCut) omitted.push(`${messagesCut} error message${messagesCut > 1 ? 's' : ''} cut to ${view.messageLines} lines / ${view.messageChars} characters.`)
  if (hadLogs && view.logLines === 0) omitted.push('stdout/stderr excerpts left out for the budget.')
  else if (logsCut) omitted.push(`stdout/stderr shown as ${view.logLines}-line excerpts around the error; the full logs are stored with each result.`)
  if (!view.steps && samples.some(s => s.steps?.length)) omitted.push('Failing steps left out for the budget.')
  return errors
}

/** The first failure, its last green run and the commits between them, as many as the view shows. */
function firstFailureData(ff: ClusterEvidence['firstFailure'], view: View, redact: Redact, omitted: string[]): ClusterContextData['firstFailure'] {
  const runRef = (r: ContextRunRef): ContextRunRef => ({ ...r, commitMessage: redact(r.commitMessage), buildUrl: redact(r.buildUrl) })
  const firstFailure = ff
    ? {
        run: runRef(ff.run),
        lastGreenRun: ff.lastGreenRun ? runRef(ff.lastGreenRun) : null,
        commits: ff.commits.slice(0, view.commits).map(x => ({ ...x, message: redact(x.message) })),
        commitsTotal: ff.commits.length,
      }
    : null
  if (ff && ff.commits.length > view.commits) omitted.push(`${ff.commits.length - view.commits} of ${ff.commits.length} commits between the last green run and the first failure not listed.`)
  return firstFailure
}

function render(
  ev: ClusterEvidence,
  view: View,
  secrets: readonly string[],
): { markdown: string, data: ClusterContextData, omitted: string[] } {
  const { redact, counts } = createRedactor(secrets)
  const omitted: string[] = []
  const c = ev.cluster
  const errors = representativeErrors(ev.samples, view, redact, omitted)

  // --- affected tests
  const shownTests = ev.affectedTests.slice(0, view.tests).map(t => ({ ...t, test: redact(t.test) }))
  if (ev.affectedTestsTotal > shownTests.length) omitted.push(`${ev.affectedTestsTotal - shownTests.length} of ${ev.affectedTestsTotal} affected tests not listed (the most frequent are shown).`)

  const firstFailure = firstFailureData(ev.firstFailure, view, redact, omitted)

  // --- history
  const days = ev.days.slice(-view.days)
  if (ev.days.length > days.length) omitted.push(days.length ? `Daily history limited to the last ${days.length} of ${ev.days.length} days with occurrences.` : 'Daily history left out for the budget.')
  // runs where most of the suite failed are shown first (they decide "infrastructure"), then the newest others
  const keep = new Set([...ev.runs.filter(r => r.infra), ...ev.runs.filter(r => !r.infra)].slice(0, view.runs).map(r => r.runId))
  const runs = ev.runs.filter(r => keep.has(r.runId))
  if (ev.runsTotal > runs.length) omitted.push(`${ev.runsTotal - runs.length} of ${ev.runsTotal} runs with this failure not listed (newest and infrastructure runs shown).`)
  const similar = ev.similarResolved
    .slice(0, view.similar)
    .map(x => ({ ...x, title: redact(x.title), note: redact(x.note), diagnosisSummary: redact(x.diagnosisSummary) }))
  if (ev.similarResolved.length > similar.length) omitted.push(`${ev.similarResolved.length - similar.length} similar resolved cluster${ev.similarResolved.length - similar.length > 1 ? 's' : ''} not shown.`)

  const data: ClusterContextData = {
    cluster: {
      id: c.id, project: c.project, title: redact(c.title), errorType: c.errorType, category: c.category, locator: redact(c.locator),
      location: c.location, status: c.status, statusNote: redact(c.statusNote), occurrences: c.occurrences, affectedTests: c.affectedTests,
      runs: ev.runsTotal, branches: c.branches, firstSeenAt: c.firstSeenAt, lastSeenAt: c.lastSeenAt,
    },
    errors,
    affectedTests: { total: ev.affectedTestsTotal, shown: shownTests },
    firstFailure,
    history: { days, branches: ev.branches, runs, runsTotal: ev.runsTotal, infraHits: ev.infraHits },
    similarResolved: similar,
    redactions: counts,
  }
  return { markdown: toMarkdown(data), data, omitted }
}
