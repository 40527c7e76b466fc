import type { ShardsIn } from '#shared/types/ingest'

/** The shards a run still misses, as a person reads them: "shards 3 and 4", "shard 2", "shards 1, 5, 9 and 12 more". */
export function shardList({ expected, received, missing }: ShardsIn): string {
  const more = expected - received - missing.length
  const named = missing.map(String)
  const words = more > 0 ? [...named, `${more.toLocaleString('en')} more`] : named
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : words[0] ?? ''
  return `${expected - received === 1 ? 'shard' : 'shards'} ${list}`
}
