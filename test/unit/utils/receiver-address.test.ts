import { describe, expect, it } from 'vitest'
import { isAllowedReceiver, isNonPublicAddress, parseCidr, resolveReceiver, unmapAddress } from '../../../server/utils/receiver-address'
import { parseConfig } from '../../../server/utils/config'

describe('the webhook receiver address check (SSRF)', () => {
  it.each([
    ['127.0.0.1', true], ['127.255.0.9', true], ['::1', true], ['[::1]', true], ['0.0.0.0', true], ['::', true],
    ['10.0.0.1', true], ['10.255.255.255', true], ['172.16.0.1', true], ['172.31.255.254', true], ['172.32.0.1', false], ['172.15.0.1', false],
    ['192.168.1.10', true], ['169.254.169.254', true], ['100.64.0.1', true], ['224.0.0.1', true],
    ['fc00::1', true], ['fd12:3456::1', true], ['fe80::1', true], ['febf::1', true], ['ff02::1', true],
    ['::ffff:127.0.0.1', true], ['::ffff:7f00:1', true], ['::ffff:10.0.0.1', true], ['::ffff:8.8.8.8', false],
    ['8.8.8.8', false], ['93.184.216.34', false], ['2606:4700::1111', false], ['2001:db8::1', false], ['not an address', true],
  ])('%s is non-public: %s', (address, expected) => {
    expect(isNonPublicAddress(address)).toBe(expected)
  })

  it('reads IPv4-mapped IPv6 addresses in both spellings', () => {
    expect(unmapAddress('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(unmapAddress('::ffff:a00:1')).toBe('10.0.0.1')
    expect(unmapAddress('0:0:0:0:0:ffff:c0a8:0101')).toBe('192.168.1.1')
    expect(unmapAddress('2001:db8::1')).toBe('2001:db8::1')
    expect(unmapAddress('8.8.8.8')).toBe('8.8.8.8')
  })

  it.each([
    [['127.0.0.1'], 'localhost', '127.0.0.1', true],
    [['127.0.0.1'], '127.0.0.1', '::ffff:127.0.0.1', true],
    [['hooks.internal'], 'HOOKS.internal.', '10.1.2.3', true],
    [['hooks.internal'], 'other.internal', '10.1.2.3', false],
    [['10.0.0.0/8'], 'ci.internal', '10.20.30.40', true],
    [['10.0.0.0/8'], 'ci.internal', '11.0.0.1', false],
    [['172.16.0.0/12'], 'x', '172.20.0.5', true],
    [['fd00::/8'], 'x', 'fd00:1::5', true],
    [['fd00::/8'], 'x', 'fe80::1', false],
    [['::1'], 'x', '::1', true],
    [[], 'localhost', '127.0.0.1', false],
  ])('the allow-list %j lets %s (%s) through: %s', (list, host, address, expected) => {
    expect(isAllowedReceiver(list, host, address)).toBe(expected)
  })

  it('refuses private literals unless allowed, and names the allow-list in the sentence', async () => {
    await expect(resolveReceiver('10.0.0.1', [])).rejects.toThrow(/10\.0\.0\.1, a private, loopback or link-local address; list it in PROOFDECK_WEBHOOK_ALLOWED_HOSTS/)
    await expect(resolveReceiver('[::1]', [])).rejects.toThrow(/::1/)
    await expect(resolveReceiver('127.0.0.1', ['127.0.0.1'])).resolves.toEqual({ address: '127.0.0.1', family: 4 })
    await expect(resolveReceiver('localhost', [])).rejects.toThrow(/localhost resolves to/)
    await expect(resolveReceiver('8.8.8.8', [])).resolves.toEqual({ address: '8.8.8.8', family: 4 })
  })

  it('parses CIDRs, and the configuration refuses a malformed one with a sentence', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' })
    expect(parseCidr('fd00::/8')).toEqual({ address: 'fd00::', prefix: 8, family: 'ipv6' })
    expect(parseCidr('10.0.0.0/33')).toBeNull()
    expect(parseCidr('hooks.internal')).toBeNull()
    expect(parseConfig({ PROOFDECK_WEBHOOK_ALLOWED_HOSTS: ' 127.0.0.1, Hooks.Internal ,10.0.0.0/8' }).webhooks.allowedHosts)
      .toEqual(['127.0.0.1', 'hooks.internal', '10.0.0.0/8'])
    expect(() => parseConfig({ PROOFDECK_WEBHOOK_ALLOWED_HOSTS: '10.0.0.0/99' }))
      .toThrow('PROOFDECK_WEBHOOK_ALLOWED_HOSTS is "10.0.0.0/99": "10.0.0.0/99" is not a CIDR')
  })
})
