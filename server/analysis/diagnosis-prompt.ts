/**
 * The LLM side of diagnosis, without the network: the prompt built from a context bundle, and the validation of
 * what comes back (JSON shape by zod, then every citation checked against the bundle). Pure.
 */
import { FAILURE_CATEGORIES } from '#shared/constants'
import { llmDiagnosisSchema, type LlmDiagnosis } from '#shared/schemas/diagnosis'
import type { ClusterContext } from '#shared/types/diagnosis'

export const SYSTEM_PROMPT = `You diagnose failing automated tests for a software team. You receive the evidence bundle of one failure cluster (failures across CI runs that share an error fingerprint): representative errors with stacks and log excerpts, affected tests with their flakiness, the first failure and the commits before it, the history, and earlier resolved clusters with the team's notes. Secrets in it are already redacted.

Answer with one JSON object and nothing else:
{
  "category": one of ${FAILURE_CATEGORIES.map(c => `"${c}"`).join(', ')},
  "summary": one sentence a developer reads first,
  "rootCause": the most likely root cause, specific to this evidence (say what is uncertain),
  "evidence": [{"runId": a run id from the bundle, "resultId": a result id from the bundle or null, "quote": a line copied exactly from the bundle, "why": what it shows}],
  "suggestedFix": what to change, concretely,
  "investigationSteps": steps in this order, specific to this case: reproduce; look at the actual values; divide and conquer; change one thing at a time; check the plug (environment, services, config); verify the fix,
  "confidence": a number from 0 to 1
}
Rules: cite only ids that appear in the bundle; quote lines verbatim; prefer "infrastructure" when most of the suite failed in the runs involved and "flaky" when the affected tests are flaky by their scores; "build" when the code or its tests did not compile (a compiler's or go vet's error: Go's "[build failed]", error TS2322, cannot find symbol, error[E0308]), so no test of it ran; never invent commits, files or values.`

/** The user message: the bundle itself. */
export function userPrompt(context: ClusterContext): string {
  return `Evidence bundle of failure cluster ${context.clusterId}:\n\n${context.markdown}`
}

export type ParsedLlmDiagnosis = { ok: true, diagnosis: LlmDiagnosis, dropped: number } | { ok: false, error: string }

/** The first JSON object in a model's answer (bare, or inside a ```json fence). */
function extractJson(text: string): unknown {
  const fenced = text.match(/```(?:json)?\s*([\s\S]*?)```/)
  const candidate = fenced ? fenced[1]! : text
  const start = candidate.indexOf('{')
  const end = candidate.lastIndexOf('}')
  if (start < 0 || end <= start) throw new Error('the answer contains no JSON object')
  return JSON.parse(candidate.slice(start, end + 1))
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase()

/** Every id a diagnosis may cite: the runs and results the bundle shows. */
function citableIds(context: ClusterContext): { runs: Set<string>, results: Set<string> } {
  const d = context.data
  const runs = new Set<string>()
  const results = new Set<string>()
  for (const e of d.errors) {
    runs.add(e.runId)
    results.add(e.resultId)
  }
  for (const r of d.history.runs) runs.add(r.runId)
  if (d.firstFailure) {
    runs.add(d.firstFailure.run.runId)
    if (d.firstFailure.lastGreenRun) runs.add(d.firstFailure.lastGreenRun.runId)
    for (const c of d.firstFailure.commits) runs.add(c.runId)
  }
  return { runs, results }
}

/**
 * Validates a model's answer: JSON, the schema, then the evidence: items citing ids the bundle does not contain,
 * or quoting text it does not contain, are dropped; an answer left with no evidence is refused.
 */
export function parseLlmDiagnosis(text: string, context: ClusterContext): ParsedLlmDiagnosis {
  let raw: unknown
  try {
    raw = extractJson(text)
  }
  catch (err) {
    return { ok: false, error: `invalid output: ${(err as Error).message}` }
  }
  const parsed = llmDiagnosisSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return { ok: false, error: `invalid output: ${issue.path.join('.') || 'answer'}: ${issue.message}` }
  }
  const { runs, results } = citableIds(context)
  const haystack = norm(context.markdown)
  const kept = parsed.data.evidence.filter((e) => {
    if (!runs.has(e.runId)) return false
    if (e.resultId && !results.has(e.resultId)) return false
    const quote = norm(e.quote.replace(/^["'`]+|["'`.…]+$/g, ''))
    return haystack.includes(quote.slice(0, 60))
  })
  if (!kept.length) return { ok: false, error: 'invalid output: no evidence item cites a run or result and a line from the context' }
  return { ok: true, diagnosis: { ...parsed.data, evidence: kept }, dropped: parsed.data.evidence.length - kept.length }
}
