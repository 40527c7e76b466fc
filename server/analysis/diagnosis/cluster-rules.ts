/**
 * The rules that look at the cluster as a whole rather than at one message: most of the suite failed in its runs
 * (infrastructure), or its tests pass and fail without code changes (flaky). Either overrides the message rules; the
 * message rule's text still says how it fails. Pure.
 */
import type { ContextAffectedTest, ClusterContextData, ContextRunStat, DiagnosisEvidenceItem } from '#shared/types/diagnosis'
import { contextTest } from '#shared/diagnosis'
import { testFullName, testName } from '#shared/test-names'
import { pct } from './steps'
import type { ClusterInput, ClusterRule } from './types'

export const round = (x: number) => Math.round(Math.max(0, Math.min(1, x)) * 100) / 100

/**
 * A run where the cluster's results were an outage's counts as this cluster's infrastructure run when the cluster's
 * error is a good part of that run's failures: then many tests failed together with the same error (an outage that
 * fails its tests two or three ways still makes each of them a quarter or more). A cluster that is one of many errors
 * of such a run (42 failures, 42 different messages) shows a wide break, not a shared cause, and the message rules say
 * more of it than "fix the environment". A shard or job that failed by itself (`uploadOutage`) was judged on its causes
 * already (isInfrastructureRun): its results are the outage's whatever else the run failed.
 */
const SHARED_FAILURES = 0.25

function infraStats(ctx: ClusterContextData) {
  const listed = ctx.history.runs.filter(r => r.infra)
  const infra = listed.filter(r => r.uploadOutage || r.hits >= SHARED_FAILURES * r.failing)
  const hitsOf = (runs: typeof listed) => runs.reduce((s, r) => s + r.hits, 0)
  const total = Math.max(ctx.cluster.occurrences, hitsOf(ctx.history.runs))
  // the context lists the latest infrastructure runs only: the shared part of their hits stands for all of them
  const shared = listed.length ? hitsOf(infra) / Math.max(1, hitsOf(listed)) : 0
  const share = total ? Math.min(1, ctx.history.infraHits * shared / total) : 0
  return { infra, share }
}

/**
 * Where the outages of these runs were: most of the suite (up to its worst share failed), or the shard or job that
 * ran the cluster's tests, which failed by itself in a run that is not an outage.
 */
function outageExtent(runs: ContextRunStat[]): string {
  const whole = runs.filter(r => !r.uploadOutage)
  if (!whole.length) return 'the shard or job that ran them failed by itself'
  const worst = [...whole].sort((a, b) => b.failing / b.executed - a.failing / a.executed)[0]!
  const shards = whole.length < runs.length ? ', or the shard or job that ran them,' : ''
  return `most of the suite${shards} failed (up to ${worst.failing}/${worst.executed})`
}

/**
 * The affected tests the flaky rule reads as flaky: those the lists label flaky. A score without the label is evidence
 * the labels judged too thin ("new": 2 runs so far) or not a flaky pattern ("stable"); a diagnosis that called such a
 * test flaky contradicted the label shown beside it.
 */
function flakyStats(tests: ContextAffectedTest[]) {
  const total = tests.reduce((s, t) => s + t.occurrences, 0)
  const flaky = tests.filter(t => t.flakyLabel === 'flaky')
  const share = total ? flaky.reduce((s, t) => s + t.occurrences, 0) / total : 0
  return { flaky, share }
}

/** The shared error, cited after the cluster-level evidence. */
function leadEvidence({ finding, lead }: ClusterInput, why: string): DiagnosisEvidenceItem[] {
  return finding && lead ? [{ runId: lead.runId, resultId: lead.resultId, quote: finding.line, why }] : []
}

const infrastructure: ClusterRule = {
  id: 'infrastructure', category: 'infrastructure',
  steps: {
    afterReproduce: ' — if it passes alone, the test is not the problem.',
    divide: 'Divide and conquer: compare the failing run with the runs just before and after it on the '
      + 'same commit — if a re-run passes without code changes, the cause is outside the code.',
  },
  diagnose: (input) => {
    const { ctx, finding, base } = input
    const { infra, share } = infraStats(ctx)
    if (!infra.length || share < 0.6) return null
    const evidence: DiagnosisEvidenceItem[] = infra.slice(0, 3).map(r => ({
      runId: r.runId, resultId: ctx.errors.find(e => e.runId === r.runId)?.resultId ?? null,
      ...(r.uploadOutage
        ? { quote: `${r.hits} in an outage of their shard or job`,
            why: 'The shard or job that ran these tests failed by itself in this run: its environment, not this test, broke.' }
        : { quote: `${r.failing}/${r.executed} failing`,
            why: `${pct(r.failing / Math.max(1, r.executed))} of the executed tests failed in this run: the run, not this test, broke.` }),
    }))
    evidence.push(...leadEvidence(input, `The shared error: ${base.summary}.`))
    const runs = infra.length === 1 ? 'a run' : `${infra.length} runs`
    const text = {
      summary: `Infrastructure failure: ${pct(share)} of these failures come from ${runs} where ${outageExtent(infra)} — ${base.summary}`,
      rootCause: `Many unrelated tests failed together with the same error (${finding?.line ?? ctx.cluster.title}), `
        + 'which points at the environment of that run — a service, the runner, the network or a '
        + `shared setup step — rather than at the tests or the code under test. ${base.rootCause}`,
      fix: `Fix the environment, not the tests: ${base.fix} Then re-run the `
        + 'affected run; its failures should disappear without a code change.',
      look: base.look,
      change: 'Change one thing: re-run the same commit on a healthy runner without touching the code.',
      plug: base.plug,
    }
    return { text, evidence, confidence: round(0.55 + 0.35 * share) }
  },
}

const flaky: ClusterRule = {
  id: 'flaky', category: 'flaky',
  steps: {
    repeat: { reproduce: 30, verify: 50 },
    divide: 'Divide and conquer: find what the failing attempts have in common (worker, shard, order, time '
      + 'of day, parallel tests touching the same data) by comparing them with the passing attempts.',
  },
  diagnose: (input) => {
    const { ctx, base, lead } = input
    const { flaky, share } = flakyStats(ctx.affectedTests.shown)
    if (!flaky.length || share < 0.5) return null
    const ranked = [...flaky].sort((a, b) => b.flakyScore - a.flakyScore)
    const top = ranked[0]!
    const evidence: DiagnosisEvidenceItem[] = ranked.slice(0, 3).map((t) => {
      const e = ctx.errors.find(x => x.testCaseId === t.testCaseId)
      return {
        runId: e?.runId ?? lead?.runId ?? '', resultId: e?.resultId ?? null,
        quote: `flaky score ${t.flakyScore.toFixed(2)} (confidence ${t.flakyConfidence.toFixed(2)}), `
          + `${t.flakyRuns} flaky / ${t.failedRuns} failed runs`,
        why: `${testFullName(contextTest(t.test))} passes and fails without code changes (retry passes, flips, mixed results on one commit).`,
      }
    }).filter(x => x.runId)
    evidence.push(...leadEvidence(input, `How it fails when it does: ${base.summary}.`))
    const which = flaky.length === 1 ? `"${testName(contextTest(top.test))}" is` : `${flaky.length} of the affected tests are`
    const text = {
      summary: `Flaky: ${which} flaky (score up to ${top.flakyScore.toFixed(2)}); when it fails: ${base.summary}`,
      rootCause: 'These failures come and go without code changes, so a commit is not the cause: the test depends on '
        + `timing, ordering, shared state or an unreliable dependency. The failure mode is: ${base.rootCause}`,
      fix: 'Remove the nondeterminism rather than adding retries: wait for the real condition instead '
        + `of a fixed time, isolate test data per test, and stub unreliable dependencies. ${base.fix}`,
      look: `Compare a failing attempt with a passing one of the same test (traces, timings, order): ${base.look}`,
      change: 'Change one thing: remove one source of nondeterminism (a fixed wait, shared '
        + 'data, test order) and measure the failure rate again over many runs.',
      plug: base.plug,
    }
    return { text, evidence, confidence: round((0.5 + 0.4 * share) * (0.6 + 0.4 * Math.max(top.flakyConfidence, 0.5))) }
  },
}

/** Tried in order before the message rules. */
export const CLUSTER_RULES: ClusterRule[] = [infrastructure, flaky]
