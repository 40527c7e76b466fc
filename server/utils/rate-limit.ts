import { BlockList, isIP } from 'node:net'
import type { H3Event } from 'h3'
import { useConfig } from './config'

// Counters live in this process: a restart or a second instance starts them afresh, which costs an attacker at most a
// few more guesses. Sessions, which must agree across instances, are in the database.

const MAX_ENTRIES = 10_000

/** A fixed-window counter per key, in memory. */
export function createRateLimiter(limit: number, windowMs: number) {
  const hits = new Map<string, { count: number, resetAt: number }>()
  return {
    /** Counts a hit; returns the seconds to wait when over the limit, else 0. */
    hit(key: string): number {
      const now = Date.now()
      let entry = hits.get(key)
      if (!entry || entry.resetAt <= now) {
        if (hits.size > MAX_ENTRIES) for (const [k, v] of hits) if (v.resetAt <= now) hits.delete(k)
        entry = { count: 0, resetAt: now + windowMs }
        hits.set(key, entry)
      }
      entry.count++
      return entry.count > limit ? Math.ceil((entry.resetAt - now) / 1000) : 0
    },
    /** Seconds to wait before the next hit would be allowed (0 = now), without counting one. */
    wait(key: string): number {
      const entry = hits.get(key)
      const now = Date.now()
      return entry && entry.resetAt > now && entry.count >= limit ? Math.ceil((entry.resetAt - now) / 1000) : 0
    },
    reset(key: string) { hits.delete(key) },
  }
}

/**
 * Growing delays per key (an account from one client) instead of a hard lock: the first `free` failures cost nothing,
 * then each further one makes the key wait 1 s, 2 s, 4 s… up to `capMs`. Forgotten `forgetMs` after the last failure.
 */
export function createBackoff({ free, capMs, forgetMs }: { free: number, capMs: number, forgetMs: number }) {
  const failures = new Map<string, { count: number, last: number, until: number }>()
  return {
    /** Seconds this key must still wait (0 = it may try now). */
    wait(key: string): number {
      const entry = failures.get(key)
      const now = Date.now()
      return entry && entry.until > now ? Math.ceil((entry.until - now) / 1000) : 0
    },
    fail(key: string): void {
      const now = Date.now()
      let entry = failures.get(key)
      if (!entry || now - entry.last > forgetMs) {
        if (failures.size > MAX_ENTRIES) for (const [k, v] of failures) if (now - v.last > forgetMs) failures.delete(k)
        entry = { count: 0, last: now, until: 0 }
        failures.set(key, entry)
      }
      entry.count++
      entry.last = now
      const over = entry.count - free
      entry.until = over > 0 ? now + Math.min(1000 * 2 ** (over - 1), capMs) : 0
    },
    reset(key: string) { failures.delete(key) },
  }
}

const unmapped = (ip: string) => ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')

let trusted: { source: Set<string>, list: BlockList } | undefined

/** PROOFDECK_TRUSTED_PROXIES as a BlockList: addresses and CIDR ranges (10.0.0.0/8, fd00::/8). */
function trustedProxies(): BlockList {
  const source = useConfig().trustedProxies
  if (trusted?.source === source) return trusted.list
  const list = new BlockList()
  for (const entry of source) {
    const [addr = '', bits] = entry.split('/')
    const family = isIP(unmapped(addr)) === 6 ? 'ipv6' : 'ipv4'
    if (!isIP(unmapped(addr))) continue
    if (bits === undefined) list.addAddress(unmapped(addr), family)
    else list.addSubnet(unmapped(addr), Number(bits), family)
  }
  trusted = { source, list }
  return list
}

const isTrusted = (ip: string) => isIP(ip) !== 0 && trustedProxies().check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')

/**
 * Whether the browser reached us over HTTPS: a TLS connection, or a trusted proxy (PROOFDECK_TRUSTED_PROXIES) whose
 * X-Forwarded-Proto says https (the first value: the proxy nearest the client). Anyone else's header is ignored.
 */
export function requestIsHttps(event: H3Event): boolean {
  const socket = event.node.req.socket as { encrypted?: boolean, remoteAddress?: string } | undefined
  if (socket?.encrypted) return true
  if (!isTrusted(unmapped(socket?.remoteAddress ?? ''))) return false
  return getRequestHeader(event, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https'
}

/**
 * The client's address for per-client limits. X-Forwarded-For counts only when the peer is a trusted proxy; then
 * the chain is read from the right, skipping trusted proxies, so a client cannot choose its address by sending a
 * header of its own (the left-most entries are whatever the client wrote).
 */
export function clientAddress(event: H3Event): string {
  let client = unmapped(event.node.req.socket?.remoteAddress ?? 'unknown')
  if (!isTrusted(client)) return client
  const chain = (getRequestHeader(event, 'x-forwarded-for') ?? '').split(',').map(s => unmapped(s.trim())).filter(Boolean)
  while (chain.length) {
    const hop = chain.pop()!
    if (!isIP(hop)) break
    client = hop
    if (!isTrusted(hop)) break
  }
  return client
}
