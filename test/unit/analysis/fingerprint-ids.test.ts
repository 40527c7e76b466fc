import { describe, expect, it } from 'vitest'
import { fingerprintFailure } from '../../../server/analysis/fingerprint'

/*
 * An id of hex digits is all digits now and then (one in 43 of 8-digit ids): it must mask the same either way, or
 * one cause splits into two clusters. Numbers that are values stay `<n>` whatever their size.
 */

const fp = (message: string) => fingerprintFailure({ message, stack: null })!

const SAME: { rule: string, a: string, b: string, title: string }[] = [
  {
    rule: 'an 8-digit id beside an 8-hex id',
    a: 'AssertionError: order 84121009 total mismatch', b: 'AssertionError: order 8a3f91c2 total mismatch',
    title: 'order <n> total mismatch',
  },
  {
    rule: 'a short commit sha that happens to be all digits',
    a: 'fatal: bad revision 1234567', b: 'fatal: bad revision abc1234', title: 'fatal: bad revision <n>',
  },
  {
    rule: 'six hex digits with and without letters',
    a: 'Error: session 904211 expired', b: 'Error: session 9f4e1a expired', title: 'session <n> expired',
  },
  {
    rule: 'an id beside a small count',
    a: 'Error: cart 31415926 holds 3 items, expected 2', b: 'Error: cart deadbeef1 holds 4 items, expected 2',
    title: 'cart <n> holds <n> items, expected <n>',
  },
  {
    rule: 'a value crossing eight digits stays a number',
    a: 'AssertionError: expected balance 9999999 to equal 10000000', b: 'AssertionError: expected balance 5 to equal 6',
    title: 'expected balance <n> to equal <n>',
  },
  {
    rule: 'twelve digits or more are a hash either way',
    a: 'Error: no blob 123456789012 in store', b: 'Error: no blob 3f2a9c1b7d4e in store', title: 'no blob <hash> in store',
  },
]

const DIFFERENT: { rule: string, a: string, b: string }[] = [
  { rule: 'a status code is not an id', a: 'Error: request failed with status 404', b: 'Error: request failed with status 500' },
  { rule: 'a word of hex letters without a digit is a word', a: 'Error: cannot decode facade', b: 'Error: cannot decode accede' },
  { rule: 'quoted keys stay', a: 'KeyError: \'price\'', b: 'KeyError: \'total\'' },
]

describe('fingerprintFailure: hex ids', () => {
  it.each(SAME)('one cause: $rule', ({ a, b, title }) => {
    expect(fp(a).title).toBe(title)
    expect(fp(b).title).toBe(title)
    expect(fp(a).fingerprint).toBe(fp(b).fingerprint)
  })

  it.each(DIFFERENT)('two causes: $rule', ({ a, b }) => {
    expect(fp(a).fingerprint).not.toBe(fp(b).fingerprint)
  })
})
