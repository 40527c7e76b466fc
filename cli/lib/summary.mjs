const EMOJI = { passed: '✅', failed: '❌', empty: '⚪' }
const MAX = 10

function list(items, render) {
  const shown = items.slice(0, MAX).map(i => `- ${render(i)}`)
  if (items.length > MAX) shown.push(`- …and ${items.length - MAX} more`)
  return shown
}

/**
 * A short markdown report of an ingest receipt, for a CI job summary or a pull-request comment.
 * @param {import('../../shared/types/ingest').IngestReceipt} r
 */
export function renderSummary(r) {
  const c = r.counts
  const lines = [
    `### ${EMOJI[r.status] ?? ''} Proofdeck: ${r.project} ${r.status}`,
    '',
    '| Tests | Passed | Failed | Errored | Skipped | Flaky |',
    '|---|---|---|---|---|---|',
    `| ${c.tests} | ${c.passed} | ${c.failed} | ${c.errored} | ${c.skipped} | ${c.flaky} |`,
    '',
  ]
  if (r.errors.length) lines.push('**Run errors**', ...list(r.errors, e => `\`${e.split('\n')[0].slice(0, 200)}\``), '')
  if (r.newClusters.length) lines.push('**New failure clusters**', ...list(r.newClusters, k => `${k.title} (${k.category}, ${k.occurrences}×)`), '')
  if (r.newlyFlaky.length) lines.push('**Newly flaky**', ...list(r.newlyFlaky, t => `${t.title} (score ${t.score.toFixed(2)})`), '')
  if (r.rejected.length) lines.push('**Rejected**', ...list(r.rejected, x => `${x.item}: ${x.reason}`), '')
  lines.push(`[Open the run in Proofdeck](${r.url})${r.branch ? ` · \`${r.branch}\`` : ''}${r.commit ? ` · \`${r.commit.slice(0, 7)}\`` : ''}`, '')
  return lines.join('\n')
}

/** The receipt as plain text for a terminal. */
export function renderReceipt(r) {
  const c = r.counts
  const out = [
    `${r.project}: run ${r.status} — ${c.tests} tests: ${c.passed} passed, ${c.failed} failed, ${c.errored} errored, ${c.skipped} skipped${c.flaky ? ` (${c.flaky} flaky)` : ''}`,
    `  ${r.url}`,
    ...r.files.map(f => `  ${f.status === 'duplicate' ? 'already stored' : 'stored'}: ${f.name} (${f.format}, ${f.results} results)`),
  ]
  if (r.merged.shards > 1) out.push(`  merged: ${r.merged.shards} uploads in this run (run key ${r.runKey})`)
  for (const d of r.merged.duplicates.slice(0, MAX)) out.push(`  duplicate: ${d.test} appeared ${d.occurrences}× (kept as attempts of one result)`)
  for (const e of r.errors) out.push(`  run error: ${e.split('\n')[0]}`)
  for (const k of r.newClusters) out.push(`  new cluster: ${k.title}`)
  for (const t of r.newlyFlaky) out.push(`  newly flaky: ${t.title}`)
  if (r.rejected.length) out.push('Rejected:', ...r.rejected.map(x => `  ${x.item}: ${x.reason}`))
  return out.join('\n')
}
