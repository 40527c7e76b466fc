/**
 * The rule engine: a diagnosis of one failure cluster from its context bundle, with no network. Every claim cites
 * a run (and result) and quotes the line it rests on; the investigation steps follow the classic debugging
 * discipline (reproduce, look at the actual values, divide and conquer, change one thing, check the plug, verify
 * the fix), filled in with the facts of this case. Pure.
 */
import type { FailureCategory } from '#shared/constants'
import type { ClusterContextData, ContextError, DiagnosisEvidenceItem } from '#shared/types/diagnosis'
import { stripAnsi } from '../ansi'
import { CLUSTER_RULES, round } from './cluster-rules'
import { PATTERNS, RULE_BY_ID, SETUP_RULE_IDS } from './rules'
import { investigation, short } from './steps'
import type { DiagnosisText, Finding, RuleDiagnosis, RuleId, StepHints } from './types'

/** Classifies one error (message and stack) by the first rule that matches. */
export function classifyError(message: string, stack: string | null = null): Finding | null {
  const text = stripAnsi(`${message}\n${stack ?? ''}`)
  for (const { rule, pattern } of PATTERNS) {
    const m = pattern.match.exec(text)
    if (!m || (pattern.when && !pattern.when(text))) continue
    const line = quoteLine(text, m.index)
    const found = Object.entries(pattern.facts?.(text) ?? {}).filter(([, v]) => v != null && v !== '')
    const facts = Object.fromEntries(found) as Record<string, string>
    return { rule: rule.id, category: rule.category, line, facts, strength: pattern.strength }
  }
  return null
}

/**
 * A page navigation that ran out of time: Playwright's page.goto or reload (the call, or its call log), Puppeteer's
 * navigation timeout, Cypress' remote page that did not load. A wait for a locator on a page that loaded is not one.
 */
const NAVIGATION_TIMEOUT = /\b(?:page|frame)\.(?:goto|reload|goBack|goForward): Timeout|navigating to "[^"\n]+", waiting until|Navigation timeout of \d+ ?ms exceeded|for your remote page to load/i

/**
 * The cause a failure shares with the others of an outage, for telling an infrastructure run from a regression
 * (analysis/flakiness.ts isInfrastructureRun), or null: a rule of the machine or the setup (rules/environment.ts: a
 * refused connection, a crashed browser, a full disk), and a page navigation that timed out read as the network's
 * (its server did not answer). Every network error is one cause (a dead service refuses one test and resets another;
 * each test's navigation names its own URL). An assertion, a locator, an exception or a timeout on a page that loaded
 * is the code's, however many tests fail with it.
 */
export function outageCause(message: string | null, stack: string | null): RuleId | null {
  if (!message && !stack) return null
  const f = classifyError(message ?? '', stack)
  if (!f) return null
  if (SETUP_RULE_IDS.has(f.rule)) return f.rule
  return f.rule === 'timeout' && NAVIGATION_TIMEOUT.test(stripAnsi(`${message ?? ''}\n${stack ?? ''}`)) ? 'network' : null
}

/** The line a match starts on; a match that starts with line breaks ("\n\nExpected: 3") quotes its first line of text. */
function quoteLine(text: string, at: number): string {
  let index = at
  while (index < text.length && /\s/.test(text[index]!)) index++
  const start = text.lastIndexOf('\n', index) + 1
  const end = text.indexOf('\n', index)
  const line = text.slice(start, end < 0 ? undefined : end).trim()
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}

/** What no rule recognised. */
const unknownText = (ctx: ClusterContextData): DiagnosisText => ({
  summary: `Unclassified failure: ${ctx.cluster.title}`,
  rootCause: 'No rule recognised this error. Read the message and stack of the cited result; the fingerprint '
    + 'groups every failure with the same message shape, so fixing one usually fixes all.',
  fix: 'Read the first error message and stack of the cited result and fix what it names.',
  look: 'Read the full message, stack and logs of the cited result.',
  change: 'Change one thing at a time and re-run after each.',
  plug: 'Check the plug: environment, services and data the test needs.',
})

function describeFinding(f: Finding | null, ctx: ClusterContextData): DiagnosisText {
  const rule = f && RULE_BY_ID.get(f.rule)
  return rule ? rule.describe(f, ctx) : unknownText(ctx)
}

const whyFor = (f: Finding) => RULE_BY_ID.get(f.rule)?.why?.(f.facts) ?? 'The line that identifies the failure.'

// an error whose stack equals an earlier one's is shown without it, but it is still its stack
const stackOf = (e: ContextError, errors: ContextError[]) =>
  e.stack ?? (e.sameStackAs != null ? errors[e.sameStackAs]?.stack ?? null : null)

/** The finding most errors agree on (ties go to the stronger rule), and which errors agree. */
function vote(ctx: ClusterContextData): { finding: Finding | null, agreeing: number[] } {
  const findings = ctx.errors.map(e => classifyError(e.message, stackOf(e, ctx.errors)))
  const votes = new Map<RuleId, number[]>()
  findings.forEach((f, i) => {
    if (f) votes.set(f.rule, [...(votes.get(f.rule) ?? []), i])
  })
  const best = [...votes].sort((a, b) => b[1].length - a[1].length || findings[b[1][0]!]!.strength - findings[a[1][0]!]!.strength)[0]
  return { finding: best ? findings[best[1][0]!]! : classifyError(ctx.cluster.title), agreeing: best?.[1] ?? [] }
}

/** Each quote with what it says itself: the values of one assertion are not another's. */
function evidenceFromErrors(f: Finding, errors: ContextError[], agreeing: number[]): DiagnosisEvidenceItem[] {
  return agreeing.slice(0, 3).map((i) => {
    const e = errors[i]!
    const found = classifyError(e.message, stackOf(e, errors)) ?? f
    return { runId: e.runId, resultId: e.resultId, quote: found.line, why: whyFor(found) }
  })
}

/** The diagnosis when no cluster rule applies: the message rule's, with the regression range and similar clusters. */
function messageDiagnosis(ctx: ClusterContextData, finding: Finding | null, agreeing: number[], base: DiagnosisText) {
  const { errors } = ctx
  const f = finding
  const evidence: DiagnosisEvidenceItem[] = f && agreeing.length
    ? evidenceFromErrors(f, errors, agreeing)
    : errors.slice(0, 1).map(e => ({
        runId: e.runId, resultId: e.resultId, quote: e.message.split('\n')[0]!.slice(0, 300), why: 'The error as reported.',
      }))
  const ff = ctx.firstFailure
  let rootCause = base.rootCause
  if (ff?.lastGreenRun?.commit && ff.run.commit && ff.lastGreenRun.commit !== ff.run.commit && f?.category !== 'environment') {
    const subject = ff.run.commitMessage ? ` ("${ff.run.commitMessage.split('\n')[0]}")` : ''
    rootCause += ` It started in run ${ff.run.runId} at ${short(ff.run.commit)}${subject}; the same tests passed at `
      + `${short(ff.lastGreenRun.commit)} (run ${ff.lastGreenRun.runId}), so the change is most likely in between.`
    evidence.push({
      runId: ff.run.runId, resultId: null, quote: `First failure: run ${ff.run.runId}`,
      why: 'The first run with this failure; the last green run of the same tests '
        + `on ${ff.run.branch ?? 'that branch'} was ${ff.lastGreenRun.runId}.`,
    })
  }
  const similar = ctx.similarResolved.find(s => s.note)
  if (similar) rootCause += ` A similar cluster was resolved before ("${similar.title}"): ${similar.note}`
  const agreement = errors.length ? agreeing.length / errors.length : 0
  const confidence = f ? round(f.strength * (0.7 + 0.3 * agreement)) : 0.2
  return { text: { ...base, rootCause }, evidence, confidence }
}

interface Verdict {
  rule: RuleId
  category: FailureCategory
  text: DiagnosisText
  evidence: DiagnosisEvidenceItem[]
  confidence: number
  steps: StepHints
}

function finish(v: Verdict, ctx: ClusterContextData, lead: ContextError | undefined): RuleDiagnosis {
  const seen = new Set<string>()
  const unique = v.evidence.filter((e) => {
    const key = `${e.runId}|${e.resultId}|${e.quote}`
    return !seen.has(key) && !!seen.add(key)
  })
  return {
    rule: v.rule, category: v.category, summary: v.text.summary.slice(0, 600), rootCause: v.text.rootCause, evidence: unique.slice(0, 8),
    suggestedFix: v.text.fix, investigationSteps: investigation(v.steps, v.text, ctx, lead), confidence: v.confidence,
  }
}

/** The rule engine's diagnosis of a context bundle. */
export function diagnoseContext(ctx: ClusterContextData): RuleDiagnosis {
  const { finding, agreeing } = vote(ctx)
  const base = describeFinding(finding, ctx)
  const lead = ctx.errors[agreeing[0] ?? 0]
  for (const rule of CLUSTER_RULES) {
    const d = rule.diagnose({ ctx, finding, base, lead })
    if (d) return finish({ rule: rule.id, category: rule.category, steps: rule.steps, ...d }, ctx, lead)
  }
  const d = messageDiagnosis(ctx, finding, agreeing, base)
  return finish({ rule: finding?.rule ?? 'unknown', category: finding?.category ?? 'unknown', steps: {}, ...d }, ctx, lead)
}
