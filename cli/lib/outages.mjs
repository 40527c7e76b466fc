// How an upload that was an outage by itself is said: the CLI's log line, job summary and pull request comment. The
// run page and a webhook's Slack message say it in these words from shared/outages.ts, this package's twin of it.

/** @typedef {Pick<import('../../shared/types/ingest').UploadOutage, 'executed' | 'failed' | 'causeFailures' | 'error'>} OutageFacts */

const count = (/** @type {number} */ n) => n.toLocaleString('en-US')

/**
 * Where an outage upload ran, as `name` writes a job: "shard 2/4 of e2e", "shard 2/4", "job e2e", or null when it said neither.
 * @param {{ shard: string | null, job: string | null }} o
 * @param {(job: string) => string} [name]
 * @returns {string | null}
 */
export function uploadPlace(o, name = String) {
  if (o.shard) return `shard ${o.shard}${o.job ? ` of ${name(o.job)}` : ''}`
  return o.job ? `job ${name(o.job)}` : null
}

/**
 * What an outage upload failed with, its error as `error` writes it: "10 of 10 tests failed on <error>", "10 of 12 tests
 * failed, 8 of them on <error>".
 * @param {OutageFacts} o
 * @param {(error: string) => string} [error]
 * @returns {string}
 */
export function outageFacts(o, error = String) {
  const failed = `${count(o.failed)} of ${count(o.executed)} test${o.executed === 1 ? '' : 's'} failed`
  return o.causeFailures === o.failed ? `${failed} on ${error(o.error)}` : `${failed}, ${count(o.causeFailures)} of them on ${error(o.error)}`
}
