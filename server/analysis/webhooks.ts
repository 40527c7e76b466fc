import { createHmac } from 'node:crypto'
import type { RunStatus, WebhookEvent } from '#shared/constants'
import { links } from '#shared/links'
import { namedApart } from '#shared/test-names'
import type { IngestReceipt, RunCounts, UploadOutage } from '#shared/types/ingest'
import { outageFacts, uploadPlace } from '#shared/outages'

/**
 * Webhook events as pure functions: which events an upload causes, their payloads (with dashboard links), the JSON
 * body and its signature, and the Slack message. The outbox service (services/webhook-events.ts) feeds them facts
 * read inside the ingest transaction; docs/webhooks.md documents the shapes.
 */

interface Linked { id: string, url: string }
export interface ClusterRef extends Linked { title: string, category: string, occurrences: number }
export interface TestRef extends Linked {
  title: string
  /**
   * How lists name the test when its title alone does not (a JVM test with its class, a pytest id decoded); on
   * test.flaky, whose `title` is its whole label (suites first), always.
   */
  name?: string
  reason?: string | null
  score?: number
  /** run.failed: the test's configuration (a browser, a platform) and whether a quarantine forgives its failure. */
  variant?: string | null
  quarantined?: boolean
}

/** An upload of the run that was an outage by itself, as the receipt lists it (UploadOutage) for any receiver. */
export type RunOutage = Omit<UploadOutage, 'thisUpload'>

/** What every event of one upload carries; `cluster` or `test` is added per event. */
export interface EventPayload {
  project: { slug: string, url: string }
  run: {
    id: string
    url: string
    branch: string | null
    commit: string | null
    status: RunStatus
    counts: RunCounts
    /** The run's uploads that were an outage by themselves (empty when none was; absent from deliveries before them). */
    outages?: RunOutage[]
  }
  cluster?: ClusterRef
  test?: TestRef
  /** run.failed: the failing tests (at most 20 named; `counts.failed` + `counts.errored` has them all). */
  tests?: TestRef[]
  /** run.failed: how many of its failures block and how many a quarantine forgives (the receipt's failures.counts). */
  failures?: { blocking: number, quarantined: number }
}

export interface DerivedEvent {
  event: WebhookEvent
  /** One event per webhook and key: an upload adding a shard to a run that already fired it fires nothing new. */
  dedupKey: string
  payload: EventPayload
}

/** What the ingest transaction knows beyond the receipt. */
export interface UploadFacts {
  receipt: Pick<IngestReceipt, 'runId' | 'url' | 'project' | 'status' | 'branch' | 'commit' | 'counts' | 'newClusters' | 'newlyFlaky' | 'failures' | 'shards' | 'outages'>
  /**
   * The status the run recovers from: its own before this upload when it had failed (its failed jobs re-run under its
   * key), else the previous run's of its branch, job and environment (empty runs left out); null when there is none.
   */
  previousStatus: RunStatus | null
  /** Resolved clusters this upload hit again (now `regressed`). */
  regressed: { id: string, title: string, category: string, occurrences: number }[]
  /** Tests whose label became `broken` with this upload. */
  broken: { id: string, title: string, suitePath: string[], reason: string | null }[]
}

/** The events an upload causes, each with its payload; links start at `baseUrl`. */
export function deriveWebhookEvents(facts: UploadFacts, baseUrl: string): DerivedEvent[] {
  const { receipt: r } = facts
  const base: EventPayload = {
    project: { slug: r.project, url: `${baseUrl}${links.project(r.project)}` },
    run: {
      id: r.runId, url: r.url, branch: r.branch, commit: r.commit, status: r.status, counts: r.counts,
      // which upload the receipt answered means nothing to a receiver
      outages: (r.outages ?? []).map(({ thisUpload: _, ...o }) => o),
    },
  }
  const cluster = (c: Omit<ClusterRef, 'url'>): ClusterRef => ({ ...c, url: `${baseUrl}${links.cluster(c.id)}` })
  const test = (t: Omit<TestRef, 'url'>): TestRef => ({ ...t, url: `${baseUrl}${links.testCase(t.id)}` })
  const events: DerivedEvent[] = []
  if (r.status === 'failed') {
    const failing = [
      ...r.failures.blocking.map(t => ({ ...t, quarantined: false })), ...r.failures.quarantined.map(t => ({ ...t, quarantined: true })),
    ].slice(0, 20)
    const tests = failing.map(t => test({
      id: t.testCaseId, title: t.title, ...t.name ? { name: t.name } : {}, variant: t.variant ?? null, quarantined: t.quarantined,
    }))
    events.push({ event: 'run.failed', dedupKey: r.runId, payload: { ...base, tests, failures: r.failures.counts } })
  }
  // a sharded run passes so far until each job that declared shards has its last one in: "recovered" waits for them
  // (their tests may still fail); jobs sharing a run key each count their own, so e2e 3/3 is not api's 3/3
  if (r.status === 'passed' && facts.previousStatus === 'failed' && (!r.shards || r.shards.received === r.shards.expected)) {
    events.push({ event: 'run.recovered', dedupKey: r.runId, payload: base })
  }
  for (const c of r.newClusters) {
    events.push({ event: 'cluster.new', dedupKey: c.id, payload: { ...base, cluster: cluster(c) } })
  }
  for (const c of facts.regressed) {
    events.push({ event: 'cluster.regressed', dedupKey: `${c.id}:${r.runId}`, payload: { ...base, cluster: cluster(c) } })
  }
  for (const { suitePath, ...t } of facts.broken) {
    events.push({ event: 'test.broken', dedupKey: `${t.id}:${r.runId}`, payload: { ...base, test: test({ ...t, ...namedApart({ title: t.title, suitePath }) }) } })
  }
  for (const t of r.newlyFlaky) {
    const ref = test({ id: t.testCaseId, title: t.title, ...t.name ? { name: t.name, variant: t.variant ?? null } : {}, score: t.score })
    events.push({ event: 'test.flaky', dedupKey: `${t.testCaseId}:${r.runId}`, payload: { ...base, test: ref } })
  }
  return events
}

/** The JSON body of a delivery: the event, its delivery id, then the payload. */
export function deliveryBody(event: WebhookEvent, deliveryId: string, payload: EventPayload): string {
  return JSON.stringify({ event, deliveryId, ...payload })
}

/** `X-Proofdeck-Signature`: sha256= and the hex HMAC-SHA256 of the exact body under the webhook's secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/** Slack mrkdwn: &, < and > are the only characters it wants escaped. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const link = (url: string, label: string) => `<${url}|${esc(label)}>`
/** A test as lists name it, with its configuration ("pays [webkit]"): the CLI's comment names it so too. */
const named = (t: TestRef) => t.variant ? `${t.name ?? t.title} [${t.variant}]` : t.name ?? t.title

/** Slack's inline code: its text escaped, a backtick (which would close it) as a quote. */
const code = (s: string) => `\`${esc(s).replace(/`/g, '\'')}\``

/**
 * The run's outages, in the CLI's words, after its counts: "; outage in shard 2/4 of e2e: 30 of 30 tests failed on
 * `<error>`" (and how many more uploads were one), so "37 failed" is not read as 37 of the tests' own failures.
 */
function outageClause(outages: RunOutage[] = []): string {
  const [first] = outages
  if (!first) return ''
  const more = outages.length - 1
  const rest = more ? ` (and ${more} more upload${more === 1 ? ' that was an outage' : 's that were outages'})` : ''
  return `; outage in ${esc(uploadPlace(first) ?? 'an upload')}: ${outageFacts(first, code)}${rest}`
}

const HEADLINES: Record<WebhookEvent, string> = {
  'run.failed': 'Run failed',
  'run.recovered': 'Run recovered',
  'cluster.new': 'New failure cluster',
  'cluster.regressed': 'Failure cluster regressed',
  'test.broken': 'Test broken',
  'test.flaky': 'Test newly flaky',
}

/** A Slack incoming-webhook message (`text` for notifications, `blocks` for the layout) for one event. */
export function slackMessage(event: WebhookEvent, p: EventPayload): { text: string, blocks: object[] } {
  const where = [p.run.branch && `branch \`${esc(p.run.branch)}\``, p.run.commit && `commit \`${esc(p.run.commit.slice(0, 10))}\``]
    .filter(Boolean).join(', ')
  const c = p.run.counts
  const forgiven = p.failures?.quarantined ? ` (${p.failures.quarantined} quarantined)` : ''
  const runLine = `${link(p.run.url, 'Run')} in ${link(p.project.url, p.project.slug)}${where ? ` (${where})` : ''}: `
    + `${c.passed} passed, ${c.failed + c.errored} failed${forgiven}, ${c.skipped} skipped, ${c.flaky} flaky${outageClause(p.run.outages)}`
  const subject = p.cluster
    ? `${link(p.cluster.url, p.cluster.title)} (${p.cluster.category}, ${p.cluster.occurrences} occurrence${p.cluster.occurrences === 1 ? '' : 's'})`
    : p.test
      ? `${link(p.test.url, named(p.test))}${p.test.reason ? `: ${esc(p.test.reason)}` : ''}`
      : null
  const failing = p.tests?.length
    ? p.tests.slice(0, 10).map(t => `• ${link(t.url, named(t))}${t.quarantined ? ' (quarantined)' : ''}`).join('\n')
    : null
  const text = `${HEADLINES[event]}: ${p.cluster?.title ?? (p.test && named(p.test)) ?? `${p.project.slug} ${p.run.branch ?? ''}`.trim()}`
  const body = [subject, runLine, failing].filter(Boolean).join('\n')
  return {
    text: esc(text),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${HEADLINES[event]}*\n${body}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Proofdeck · ${event}` }] },
    ],
  }
}
