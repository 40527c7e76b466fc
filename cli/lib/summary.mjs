// The receipt rendered: markdown for a CI job summary and a pull/merge request comment, plain text for a terminal.

import { outageFacts, uploadPlace } from './outages.mjs'

const EMOJI = { passed: '✅', failed: '❌', empty: '⚪' }
const MAX = 10

/** GitHub refuses comments over 65,536 characters: the report stays under this, marker included. */
export const COMMENT_LIMIT = 60_000

/** Tighter caps tried in turn until the report fits COMMENT_LIMIT: causes, tests per cause, items per other list. */
const CAPS = [
  { groups: 20, tests: 8, items: MAX, title: 150 },
  { groups: 10, tests: 3, items: 5, title: 100 },
  { groups: 5, tests: 1, items: 3, title: 80 },
]

/**
 * Text that renders as itself: markdown and HTML characters escaped (a title can hold `<!-- -->`, `[x](y)` or
 * `|`), on one line, and an @ that mentions nobody.
 */
export function escapeMarkdown(text, max = 150) {
  const flat = String(text).replace(/\s+/g, ' ').trim()
  const clipped = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
  return clipped.replace(/[\\`*_{}[\]()<>#+!|~&]/g, '\\$&').replace(/@/g, '@\u2060')
}

const code = text => `\`${String(text).replace(/`/g, '\'')}\``
const href = url => String(url).replace(/[()\s<>]/g, c => encodeURIComponent(c))
const link = (text, url, max) => url ? `[${escapeMarkdown(text, max)}](${href(url)})` : escapeMarkdown(text, max)
/**
 * A test as people name it: its name (a JVM test's with its class, `ApplicationTests › contextLoads()`) or title, and
 * its configuration when it has one ("pays [webkit]").
 */
export const testName = t => t.variant ? `${t.name ?? t.title} [${t.variant}]` : t.name ?? t.title
const plural = (n, word) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`

function list(items, cap, render, total = items.length) {
  const shown = items.slice(0, cap).map(i => `- ${render(i)}`)
  if (total > shown.length) shown.push(`- …and ${(total - shown.length).toLocaleString('en-US')} more`)
  return shown
}

/** ' #12' when the server numbers runs (receipts from older servers carry no runNumber). */
function number(r) {
  return typeof r.runNumber === 'number' ? ` #${r.runNumber}` : ''
}

/** "a", "a and b", "a, b and c". */
const listed = words => words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : words[0]

/** The shards one count still misses, by number: "shards 3 and 4", "shard 2", "shards 1, 5 and 12 more". */
function shardList({ expected, received, missing }) {
  const more = expected - received - missing.length
  return `${expected - received === 1 ? 'shard' : 'shards'} ${listed([...missing.map(String), ...more > 0 ? [`${more.toLocaleString('en-US')} more`] : []])}`
}

/**
 * The shards a sharded run still misses ("shards 3 and 4"; with jobs that share the run, each job's by its name, as
 * `name` writes it: "shards 1 and 3 of api and shard 2 of e2e"), or null when it declared none or all are in: until
 * then a pass is a pass so far (the other shards' tests are still running), and a comment must not read green.
 */
function missingShards(r, name = String) {
  const s = r.shards
  if (!s || s.received >= s.expected) return null
  if (!s.jobs) return shardList(s)
  return listed(s.jobs.filter(j => j.missing.length).map(j => `${shardList(j)} ${j.job === null ? 'of the uploads that named no job' : `of ${name(j.job)}`}`))
}

/**
 * The run's uploads that were an outage by themselves (a shard's service container died): each said, so their
 * failures, which the counts and causes include, are read as the outage's and not the tests'.
 */
function outages(r, caps) {
  const all = r.outages ?? []
  const lines = all.slice(0, caps.items).map((o) => {
    const place = uploadPlace(o, job => code(job))
    const where = place ? `${place}${o.thisUpload ? ' (this upload)' : ''}` : o.thisUpload ? 'this upload' : 'an upload of this run'
    return `> ⚠️ **Outage in ${where}:** ${outageFacts(o, e => code(e))}. Its failures are left out of flakiness; look at that job's environment (services, network, setup) first.`
  })
  if (all.length > lines.length) lines.push(`> …and ${plural(all.length - lines.length, 'more upload')} that ${all.length - lines.length === 1 ? 'was an outage' : 'were outages'}.`)
  return lines.length ? [lines.join('\n>\n'), ''] : []
}

function header(r, caps) {
  const c = r.counts
  const missing = missingShards(r, job => escapeMarkdown(job, 100))
  const status = missing && r.status === 'passed' ? `⏳ Proofdeck: ${escapeMarkdown(r.project)}${number(r)} passing so far` : `${EMOJI[r.status] ?? ''} Proofdeck: ${escapeMarkdown(r.project)}${number(r)} ${r.status}`
  const lines = [
    `### ${status}${missing ? ` · ${r.shards.received} of ${plural(r.shards.expected, 'shard')} uploaded` : ''}`,
    '',
    '| Tests | Passed | Failed | Errored | Skipped | Flaky |',
    '|---|---|---|---|---|---|',
    `| ${c.tests} | ${c.passed} | ${c.failed} | ${c.errored} | ${c.skipped} | ${c.flaky} |`,
    '',
  ]
  if (missing) lines.push(`> ⏳ Not uploaded yet: ${missing}. These counts are of the shards uploaded; this report is updated as the others upload.`, '')
  // an outage fails most of the suite at once: said first, before each test reads as a new failure
  if (r.infrastructure) {
    const retried = c.flaky ? ` (${c.flaky.toLocaleString('en-US')} of them passed on a retry)` : ''
    lines.push(`> ⚠️ **Infrastructure failure:** ${(c.failed + c.errored + c.flaky).toLocaleString('en-US')} of ${(c.tests - c.skipped).toLocaleString('en-US')} executed tests failed at once${retried}. Look at the environment (services, network, setup) before the tests; this run is left out of flakiness.`, '')
  }
  lines.push(...outages(r, caps))
  const novelty = r.failureGroups?.novelty
  const quarantined = r.failures?.counts.quarantined ?? 0
  if (novelty && novelty.new + novelty.known + quarantined > 0) {
    const parts = [`**${novelty.new.toLocaleString('en-US')} new**`, `${novelty.known.toLocaleString('en-US')} already failing or flaky on ${code(r.failureGroups.defaultBranch)}`]
    if (quarantined) parts.push(`${quarantined.toLocaleString('en-US')} quarantined`)
    lines.push(`Failed tests: ${parts.join(' · ')}`, '')
  }
  return lines
}

/** One cause: its cluster linked, what it is, and its failed tests (quarantined ones have their own section). */
function group(g, branch, caps) {
  const name = g.title ? link(g.title, g.url, caps.title) : 'Failures without a recognised cause'
  // a flaky cause whose failures here all failed for good is not one to wave through (utils/format.ts groupCategory)
  const category = g.category === 'flaky' && g.failures > 0 && g.flaky === 0 ? 'flaky elsewhere, failed for good here' : g.category
  const facts = [category, plural(g.failures, 'failure'), g.newCause ? '🆕 new cause' : null].filter(Boolean)
  const blocking = g.tests.filter(t => !t.quarantined)
  const quarantined = g.tests.length - blocking.length
  const lines = [`**${name}** · ${facts.join(' · ')}`, '']
  lines.push(...blocking.slice(0, caps.tests).map((t) => {
    const title = link(testName(t), t.url, caps.title)
    return `- ${title} — ${t.known ? `already failing or flaky on ${code(branch)}` : '🆕 **new**'}`
  }))
  const more = g.more + Math.max(0, blocking.length - caps.tests)
  if (quarantined) lines.push(`- ${plural(quarantined, 'quarantined test')} (below)`)
  if (more) lines.push(`- …and ${more.toLocaleString('en-US')} more`)
  lines.push('')
  return lines
}

function failures(r, caps) {
  const fg = r.failureGroups
  if (!fg) {
    // a server before failure groups: its new clusters are what it says about causes
    return r.newClusters.length ? ['**New failure clusters**', ...list(r.newClusters, caps.items, k => `${escapeMarkdown(k.title)} (${k.category}, ${k.occurrences}×)`), ''] : []
  }
  const shown = fg.groups.slice(0, caps.groups)
  const hidden = fg.groups.slice(caps.groups)
  const moreGroups = fg.more.groups + hidden.length
  const moreFailures = fg.more.failures + hidden.reduce((n, g) => n + g.failures, 0)
  const groups = shown.filter(g => g.more > 0 || g.tests.some(t => !t.quarantined))
  if (!groups.length && !moreGroups) return []
  const lines = ['#### Failed tests by cause', '', ...groups.flatMap(g => group(g, fg.defaultBranch, caps))]
  if (moreGroups) lines.push(`…and ${plural(moreGroups, 'more cause')} (${plural(moreFailures, 'failure')}): [all on the run page](${href(r.url)})`, '')
  return lines
}

function quarantine(r, caps) {
  const f = r.failures
  if (!f?.counts.quarantined) return []
  return [
    `#### Quarantined (${f.counts.quarantined.toLocaleString('en-US')}, not blocking)`, '',
    ...list(f.quarantined, caps.items, t => `${link(testName(t), t.url, caps.title)} — ${escapeMarkdown(t.reason, caps.title)}`, f.counts.quarantined), '',
  ]
}

function render(r, caps) {
  const lines = [...header(r, caps)]
  if (r.errors.length) lines.push('**Run errors**', '', ...list(r.errors, caps.items, e => code(e.split('\n')[0].slice(0, 200))), '')
  lines.push(...failures(r, caps), ...quarantine(r, caps))
  if (r.newlyFlaky.length) {
    lines.push('#### Newly flaky', '', ...list(r.newlyFlaky, caps.items, t => `${link(testName(t), t.url, caps.title)} (score ${t.score.toFixed(2)})`), '')
  }
  if (r.rejected.length) lines.push('#### Rejected', '', ...list(r.rejected, caps.items, x => `${escapeMarkdown(x.item, caps.title)}: ${escapeMarkdown(x.reason, 300)}`), '')
  lines.push(`[Open the run in Proofdeck](${href(r.url)})${r.branch ? ` · ${code(r.branch)}` : ''}${r.commit ? ` · ${code(r.commit.slice(0, 7))}` : ''}`, '')
  return lines.join('\n')
}

/**
 * The markdown report of an ingest receipt, for a CI job summary and a pull/merge request comment: status and
 * counts, failed tests grouped by cause (each linked, new or already failing on the default branch), quarantined, newly flaky,
 * rejected, the run. Lists are capped, tighter when needed, so even a run with thousands of failures stays under
 * COMMENT_LIMIT.
 * @param {import('../../shared/types/ingest').IngestReceipt} r
 */
export function renderSummary(r, limit = COMMENT_LIMIT) {
  for (const caps of CAPS) {
    const md = render(r, caps)
    if (md.length <= limit) return md
  }
  const md = render(r, CAPS.at(-1))
  const cut = md.slice(0, md.lastIndexOf('\n', limit - 200))
  return `${cut}\n\n…cut to stay under the comment limit: [the run](${href(r.url)}) has everything.\n`
}

/** The receipt as plain text for a terminal. */
export function renderReceipt(r) {
  const c = r.counts
  const missing = missingShards(r)
  // a run whose other shards are still to come has passed nothing yet, as the summary's header says
  const status = missing && r.status === 'passed' ? 'passing so far' : r.status
  const out = [
    `${r.project}: run${number(r)} ${status} — ${plural(c.tests, 'test')}: ${c.passed} passed, ${c.failed} failed, ${c.errored} errored, ${c.skipped} skipped${c.flaky ? ` (${c.flaky} flaky)` : ''}`,
    ...r.infrastructure ? ['  infrastructure failure: most of the suite failed at once; look at the environment first (left out of flakiness)'] : [],
    // an upload that was an outage by itself: the job's log says why its failures do not count against its tests
    ...(r.outages ?? []).slice(0, MAX).map(o => `  ${o.thisUpload ? 'this upload' : uploadPlace(o) ?? 'an upload of this run'} was an outage: ${outageFacts(o)}; left out of flakiness`),
    `  ${r.url}`,
    ...r.files.slice(0, MAX).map(f => `  ${f.status === 'duplicate' ? 'already stored' : 'stored'}: ${f.name} (${f.format}, ${plural(f.results, 'result')})`),
  ]
  // a build that writes a report per test class sends hundreds: the CI log gets the first ten and a count
  if (r.files.length > MAX) out.push(`  …and ${plural(r.files.length - MAX, 'more file')} (${plural(r.files.slice(MAX).reduce((n, f) => n + f.results, 0), 'result')})`)
  if (r.merged.shards > 1) out.push(`  merged: ${r.merged.shards} uploads in this run (run key ${r.runKey})`)
  if (missing) out.push(`  shards: ${r.shards.received} of ${r.shards.expected} uploaded; not yet ${missing} (the counts are of the shards uploaded)`)
  for (const d of r.merged.duplicates.slice(0, MAX)) out.push(`  duplicate: ${d.test} appeared ${d.occurrences}× (kept as attempts of one result)`)
  for (const e of r.errors) out.push(`  run error: ${e.split('\n')[0]}`)
  for (const k of r.newClusters) out.push(`  new cluster: ${k.title}`)
  for (const t of r.newlyFlaky) out.push(`  newly flaky: ${testName(t)}`)
  if (r.rejected.length) out.push('Rejected:', ...r.rejected.map(x => `  ${x.item}: ${x.reason}`))
  return out.join('\n')
}
