import { plural } from './format'
import type { ShardsIn } from '#shared/types/ingest'

/** A sharded run's badge: "2 of 4 shards uploaded; missing shards 3 and 4: the counts are partial". */
export function shardsLabel(shards: ShardsIn): string {
  const uploaded = `${shards.received} of ${plural(shards.expected, 'shard')} uploaded`
  return shards.missing.length ? `${uploaded}; missing ${shardList(shards)}: the counts are partial` : uploaded
}

/** The shards a run still misses, as a person reads them: "shards 3 and 4", "shard 2", "shards 1, 5, 9 and 12 more". */
function shardList({ expected, received, missing }: ShardsIn): string {
  const more = expected - received - missing.length
  const named = missing.map(String)
  const words = more > 0 ? [...named, `${more.toLocaleString('en')} more`] : named
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : words[0] ?? ''
  return `${expected - received === 1 ? 'shard' : 'shards'} ${list}`
}
