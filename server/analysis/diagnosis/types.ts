import type { FailureCategory } from '#shared/constants'
import type { ClusterContextData, ContextError, DiagnosisDetail, DiagnosisEvidenceItem } from '#shared/types/diagnosis'

/** The rules that read one error message, in the order `RULES` lists them. */
export type MessageRuleId
  = | 'out-of-memory' | 'process-crash' | 'compile-error' | 'missing-env-var' | 'module-not-found' | 'permission-denied' | 'disk-full'
    | 'missing-file' | 'test-setup' | 'network' | 'strict-mode' | 'locator-not-found' | 'element-not-actionable' | 'timeout' | 'assertion'
    | 'exception' | 'panic'

/** Every rule: the cluster-level ones (which look at the whole cluster), the message rules, and the fallback. */
export type RuleId = 'infrastructure' | 'flaky' | MessageRuleId | 'unknown'

/** A diagnosis as a rule makes it: the stored version's words and evidence, and which rule decided. */
export type RuleDiagnosis = Pick<DiagnosisDetail,
  'category' | 'summary' | 'rootCause' | 'evidence' | 'suggestedFix' | 'investigationSteps' | 'confidence'> & {
  /** Which rule decided (for tests, accuracy reports and the UI). */
    rule: RuleId
  }

/** What one error message says, as a rule sees it. */
export interface Finding {
  rule: RuleId
  category: FailureCategory
  /** The line the rule matched, quoted in evidence. */
  line: string
  facts: Record<string, string>
  /** How sure the rule is on its own, 0..1. */
  strength: number
}

/** The words of a diagnosis; `look`, `change` and `plug` become investigation steps. */
export interface DiagnosisText {
  summary: string
  rootCause: string
  fix: string
  look: string
  change: string
  plug: string
}

/**
 * When a pattern is tried: every rule's specific patterns first (in rule order), then the broad ones, then the
 * catch-alls, so that a broad pattern of an early rule never shadows a specific pattern of a later one.
 */
export const PASSES = ['specific', 'broad', 'any-exception', 'any-go-check'] as const
export type Pass = typeof PASSES[number]

/** One way a message rule recognises its failure. */
export interface Pattern {
  /** How sure the rule is when this pattern decides, 0..1. */
  strength: number
  /** The line it matches is quoted as evidence. */
  match: RegExp
  /** Extra condition on the whole text. */
  when?: (text: string) => boolean
  /** The facts the rule's texts use (empty values are dropped). */
  facts?: (text: string) => Record<string, string | undefined>
  /** Defaults to 'specific'. */
  pass?: Pass
}

/** A rule that reads one error message: how it recognises it and what it says about it. */
export interface MessageRule {
  id: MessageRuleId
  category: FailureCategory
  patterns: Pattern[]
  describe: (f: Finding, ctx: ClusterContextData) => DiagnosisText
  /** Why the quoted line is evidence (defaults to a generic sentence). */
  why?: (facts: Record<string, string>) => string
}

/** How the investigation steps change for a rule. */
export interface StepHints {
  /** Reproduce and verify by running the test this many times in a row instead of once on the failing commit. */
  repeat?: { reproduce: number, verify: number }
  /** Ends the reproduce step. */
  afterReproduce?: string
  /** The divide-and-conquer step, when the rule knows better than the commit range or the failing step. */
  divide?: string
}

/** What a cluster-level rule gets: the context and the message rules' verdict on it. */
export interface ClusterInput {
  ctx: ClusterContextData
  /** The finding most errors agree on. */
  finding: Finding | null
  /** What the message rule (or the fallback) says about that finding. */
  base: DiagnosisText
  /** The error that shows the finding best. */
  lead: ContextError | undefined
}

/** A rule about the cluster as a whole (its runs, its tests), which overrides the message rules when it applies. */
export interface ClusterRule {
  id: 'infrastructure' | 'flaky'
  category: FailureCategory
  steps: StepHints
  diagnose: (input: ClusterInput) => { text: DiagnosisText, evidence: DiagnosisEvidenceItem[], confidence: number } | null
}
