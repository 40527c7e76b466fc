import { plural } from './format'
import type { ShardsIn } from '#shared/types/ingest'

/**
 * A sharded run's badge: "2 of 4 shards uploaded; missing shards 3 and 4: the counts are partial", or, with jobs that
 * share the run, each job's missing shards by its name ("missing shards 1 and 3 of api and shard 2 of e2e").
 */
export function shardsLabel(shards: ShardsIn): string {
  const uploaded = `${shards.received} of ${plural(shards.expected, 'shard')} uploaded`
  if (!shards.missing.length) return uploaded
  const missing = shards.jobs
    ? listed(shards.jobs.filter(j => j.missing.length).map(j => `${shardList(j)} ${j.job === null ? 'of the uploads that named no job' : `of ${j.job}`}`))
    : shardList(shards)
  return `${uploaded}; missing ${missing}: the counts are partial`
}

/** "a", "a and b", "a, b and c". */
function listed(words: string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : words[0] ?? ''
}

/** The shards a run (or a job) still misses, as a person reads them: "shards 3 and 4", "shard 2", "shards 1, 5, 9 and 12 more". */
function shardList({ expected, received, missing }: Pick<ShardsIn, 'expected' | 'received' | 'missing'>): string {
  const more = expected - received - missing.length
  const named = missing.map(String)
  return `${expected - received === 1 ? 'shard' : 'shards'} ${listed(more > 0 ? [...named, `${more.toLocaleString('en')} more`] : named)}`
}
