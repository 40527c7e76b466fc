/**
 * How an upload that was an outage by itself is said on the run page and in a webhook's Slack message, in the words
 * of the CLI's log line, job summary and pull request comment (cli/lib/outages.mjs: the CLI is a package of its own
 * and imports nothing from here, so it keeps a copy; test/unit/shared/outages.test.ts holds the two to one wording).
 */
import type { UploadOutage } from './types/ingest'

export type OutageFacts = Pick<UploadOutage, 'executed' | 'failed' | 'causeFailures' | 'error'>

const count = (n: number) => n.toLocaleString('en-US')

/** Where an outage upload ran, as `name` writes a job: "shard 2/4 of e2e", "shard 2/4", "job e2e", or null when it said neither. */
export function uploadPlace(o: { shard: string | null, job: string | null }, name: (job: string) => string = String): string | null {
  if (o.shard) return `shard ${o.shard}${o.job ? ` of ${name(o.job)}` : ''}`
  return o.job ? `job ${name(o.job)}` : null
}

/**
 * What an outage upload failed with, its error as `error` writes it: "10 of 10 tests failed on <error>", "10 of 12 tests
 * failed, 8 of them on <error>".
 */
export function outageFacts(o: OutageFacts, error: (error: string) => string = String): string {
  const failed = `${count(o.failed)} of ${count(o.executed)} test${o.executed === 1 ? '' : 's'} failed`
  return o.causeFailures === o.failed ? `${failed} on ${error(o.error)}` : `${failed}, ${count(o.causeFailures)} of them on ${error(o.error)}`
}
