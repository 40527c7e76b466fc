import { BlockList, isIP } from 'node:net'
import type { H3Event } from 'h3'
import { useConfig } from './config'

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
