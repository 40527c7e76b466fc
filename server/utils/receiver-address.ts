import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/**
 * Where a webhook may be sent (SSRF guard): a receiver whose host resolves to a private, loopback, link-local,
 * unique-local or otherwise non-public address is refused unless PROOFDECK_WEBHOOK_ALLOWED_HOSTS lists the host,
 * the address or a CIDR holding it. Checked on the resolved addresses, at creation and again at each delivery
 * (the delivery connects to the address this check approved, so a DNS answer that changes in between cannot slip by).
 */

const NON_PUBLIC = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['100::', 64],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv6')

/** The 8 hextets of an IPv6 address (with an embedded dotted IPv4 tail), or null. */
function hextets(ip: string): number[] | null {
  let text = ip.toLowerCase().replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const v4 = text.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/)
  if (v4) {
    const b = v4[2]!.split('.').map(Number)
    text = `${v4[1]}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`
  }
  const [head, tail, extra] = text.split('::')
  if (extra !== undefined) return null
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const fill = tail === undefined ? 0 : 8 - h.length - t.length
  if (fill < 0) return null
  const all = [...h, ...Array<string>(fill).fill('0'), ...t]
  return all.length === 8 ? all.map(x => Number.parseInt(x, 16)) : null
}

/** The IPv4 address an IPv4-mapped IPv6 address (::ffff:a.b.c.d, also written ::ffff:7f00:1) stands for, else the address. */
export function unmapAddress(ip: string): string {
  if (isIP(ip) !== 6) return ip
  const h = hextets(ip)
  if (!h || h.slice(0, 5).some(x => x !== 0) || h[5] !== 0xFFFF) return ip
  return [h[6]! >> 8, h[6]! & 255, h[7]! >> 8, h[7]! & 255].join('.')
}

/** Whether an address is anything but a public unicast one (private, loopback, link-local, unique-local, multicast…). */
export function isNonPublicAddress(ip: string): boolean {
  const plain = unmapAddress(ip.replace(/^\[|\]$/g, ''))
  const family = isIP(plain)
  if (!family) return true
  return NON_PUBLIC.check(plain, family === 4 ? 'ipv4' : 'ipv6')
}

/** `10.0.0.0/8` or `fd00::/8` as its parts, or null when it is not a CIDR. */
export function parseCidr(entry: string): { address: string, prefix: number, family: 'ipv4' | 'ipv6' } | null {
  const m = entry.match(/^([^/]+)\/(\d{1,3})$/)
  const family = m ? isIP(m[1]!) : 0
  if (!m || !family) return null
  const prefix = Number(m[2])
  if (prefix > (family === 4 ? 32 : 128)) return null
  return { address: m[1]!, prefix, family: family === 4 ? 'ipv4' : 'ipv6' }
}

/** Whether the allow-list (host names, addresses, CIDRs; lower case) lets this host or address through. */
export function isAllowedReceiver(allowList: string[], host: string, address: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')
  const plain = unmapAddress(address)
  const family = isIP(plain)
  return allowList.some((entry) => {
    if (entry === name || entry === plain) return true
    const cidr = parseCidr(entry)
    if (!cidr || !family) return false
    const list = new BlockList()
    list.addSubnet(cidr.address, cidr.prefix, cidr.family)
    return list.check(plain, family === 4 ? 'ipv4' : 'ipv6')
  })
}

export class ReceiverRefused extends Error {}

/** The sentence for an address that is not allowed. */
function refusal(host: string, address: string): string {
  return `The receiver ${host} resolves to ${address}, a private, loopback or link-local address; list it in PROOFDECK_WEBHOOK_ALLOWED_HOSTS to allow it.`
}

/**
 * Resolves a receiver's host and returns the address to connect to; throws ReceiverRefused with a sentence when the
 * host does not resolve or any of its addresses is non-public and not allowed.
 */
export async function resolveReceiver(host: string, allowList: string[]): Promise<{ address: string, family: 4 | 6 }> {
  const bare = host.replace(/^\[|\]$/g, '')
  let addresses: { address: string, family: number }[]
  if (isIP(bare)) addresses = [{ address: bare, family: isIP(bare) }]
  else {
    try {
      addresses = await lookup(bare, { all: true, verbatim: true })
    }
    catch {
      throw new ReceiverRefused(`The receiver's host ${bare} does not resolve.`)
    }
  }
  const refused = addresses.find(a => isNonPublicAddress(a.address) && !isAllowedReceiver(allowList, bare, a.address))
  if (refused) throw new ReceiverRefused(refusal(bare, refused.address))
  const first = addresses[0]
  if (!first) throw new ReceiverRefused(`The receiver's host ${bare} does not resolve.`)
  return { address: first.address, family: first.family === 6 ? 6 : 4 }
}
