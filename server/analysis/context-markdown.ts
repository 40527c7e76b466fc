/**
 * The markdown half of a cluster's context bundle (see context.ts), written for a model or a person to read top to
 * bottom. Renders already-redacted data only.
 */
import { contextTest } from '#shared/diagnosis'
import { shownTitle, testFullName } from '#shared/test-names'
import type { ClusterContextData, ContextAffectedTest, ContextRunRef, ContextRunStat } from '#shared/types/diagnosis'

const short = (sha: string | null) => sha ? sha.slice(0, 10) : null
const day = (iso: string) => iso.slice(0, 10)
const when = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z')

const fence = (text: string) => {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map(m => m.length))
  const f = '`'.repeat(longest + 1)
  return `${f}\n${text}\n${f}`
}

/** A test as lists name it, suites first, after its file; `withId`: and the id as its report spells it, when shown otherwise. */
function testLine(t: { test: string, file: string | null, variant: string | null }, withId = false): string {
  const test = contextTest(t.test)
  // pytest selects a test by its escaped id (`test_greet[M\\xfcller]`): a reproduce command needs it as written
  const id = withId && shownTitle(test.title) !== test.title ? ` (id as reported: ${test.title})` : ''
  return `${t.file ? `${t.file} › ` : ''}${testFullName(test)}${t.variant ? ` [${t.variant}]` : ''}${id}`
}

/** Why a run's results of the cluster were an outage's: the whole run's, or their shard's or job's alone. */
const outageNote = (r: ContextRunStat) =>
  r.uploadOutage ? ' (its shard or job failed by itself)' : r.infra ? ' (most of the suite failed)' : ''
const runLine = (r: ContextRunRef) =>
  `run ${r.runId} on ${r.branch ?? '(no branch)'}${r.commit ? ` @ ${short(r.commit)}` : ''}${r.commitMessage ? ` "${r.commitMessage.split('\n')[0]!.slice(0, 120)}"` : ''}, ${when(r.startedAt)}`

function flakyText(t: ContextAffectedTest): string {
  if (t.flakyLabel === 'stable' && t.flakyScore === 0) return 'not flaky'
  return `${t.flakyLabel}, flaky score ${t.flakyScore.toFixed(2)} (confidence ${t.flakyConfidence.toFixed(2)}), ${t.flakyRuns} flaky / ${t.failedRuns} failed runs${t.lastFlakeAt ? `, last flake ${day(t.lastFlakeAt)}` : ''}`
}

/** The markdown of a bundle's data. */
export function toMarkdown(d: ClusterContextData): string {
  const c = d.cluster
  const out: string[] = []
  out.push(`# Failure cluster: ${c.title}`)
  out.push([
    `- Cluster ${c.id} in project ${c.project}; status ${c.status}${c.statusNote ? ` (note: ${c.statusNote})` : ''}`,
    `- Error type ${c.errorType}; category so far: ${c.category}${c.locator ? `; locator \`${c.locator}\`` : ''}${c.location ? `; where: ${c.location}` : ''}`,
    `- ${c.occurrences} occurrences in ${c.runs} runs, ${c.affectedTests} affected tests, branches: ${c.branches.join(', ') || '(none)'}`,
    `- First seen ${when(c.firstSeenAt)}, last seen ${when(c.lastSeenAt)}`,
  ].join('\n'))

  out.push(`## Representative errors (${d.errors.length})`)
  d.errors.forEach((e, i) => {
    const parts = [`### Error ${i + 1}: result ${e.resultId}, run ${e.runId}`]
    parts.push(`Test: ${testLine(e, true)} — ${e.status}${e.attempts > 1 ? ` after ${e.attempts} attempts` : ''}; ${e.branch ?? '(no branch)'}${e.commit ? ` @ ${short(e.commit)}` : ''}, ${when(e.at)}`)
    parts.push(fence(e.message))
    if (e.sameStackAs != null) parts.push(`Stack: same as error ${e.sameStackAs + 1}.`)
    else if (e.stack) parts.push(`Stack:\n${fence(e.stack)}`)
    if (e.failingSteps.length) parts.push(`Failing steps:\n${e.failingSteps.map(s => `- ${s}`).join('\n')}`)
    for (const l of e.logs) parts.push(`${l.stream} lines ${l.fromLine}–${l.toLine} of ${l.totalLines}:\n${fence(l.text)}`)
    out.push(parts.join('\n'))
  })

  out.push(`## Affected tests (${d.affectedTests.total})`)
  out.push(d.affectedTests.shown.map(t => `- ${testLine(t)} (test case ${t.testCaseId}): ${t.occurrences} failures in this cluster, last ${day(t.lastSeenAt)}; ${flakyText(t)}`).join('\n') || '- (none)')

  if (d.firstFailure) {
    const f = d.firstFailure
    const lines = [`- First failure: ${runLine(f.run)}`]
    lines.push(f.lastGreenRun ? `- Last green run of these tests on that branch before it: ${runLine(f.lastGreenRun)}` : '- No earlier green run of these tests on that branch is stored.')
    if (f.commits.length) {
      lines.push(`- Commits CI ran on that branch after the last green run, up to the first failure (${f.commitsTotal}):`)
      for (const x of f.commits) lines.push(`  - ${short(x.sha)} ${x.message ? `"${x.message.split('\n')[0]!.slice(0, 120)}"` : '(no message)'} (run ${x.runId}, ${day(x.at)})`)
    }
    out.push(`## First failure and what changed\n${lines.join('\n')}`)
  }

  const h = d.history
  const hist: string[] = []
  if (h.days.length) hist.push(`- Occurrences per day: ${h.days.map(x => `${x.day} ×${x.occurrences}`).join(', ')}`)
  if (h.branches.length) hist.push(`- By branch: ${h.branches.map(b => `${b.branch} ×${b.occurrences}`).join(', ')}`)
  const infra = h.runs.filter(r => r.infra)
  if (h.runs.length) {
    hist.push(`- Runs (${h.runs.length} of ${h.runsTotal}, newest first): ${h.runs.map(r => `${r.runId} ${day(r.at)} ${r.branch ?? '-'} ${r.hits} hit${r.hits > 1 ? 's' : ''}, ${r.failing}/${r.executed} failing${outageNote(r)}`).join('; ')}`)
  }
  hist.push(h.infraHits
    ? `- ${h.infraHits} of the ${c.occurrences} occurrences were an outage's, in runs where most of the suite failed or in a shard or job that failed by itself${infra.length ? ` (${infra.length} listed above)` : ''}.`
    : '- None of the occurrences were in an outage (a run where most of the suite failed, or a shard or job that did).')
  out.push(`## History\n${hist.join('\n')}`)

  if (d.similarResolved.length) {
    out.push(`## Similar resolved clusters (the team's earlier fixes)\n${d.similarResolved.map(s =>
      `- "${s.title}" (cluster ${s.clusterId}, ${s.status}, similarity ${s.similarity.toFixed(2)}, last seen ${day(s.lastSeenAt)})${s.note ? `; note: ${s.note}` : ''}${s.diagnosisSummary ? `; diagnosis then: ${s.diagnosisSummary}` : ''}`).join('\n')}`)
  }
  const red = Object.entries(d.redactions)
  if (red.length) out.push(`_Secrets redacted: ${red.map(([k, n]) => `${n} ${k}`).join(', ')}._`)
  return `${out.join('\n\n')}\n`
}
