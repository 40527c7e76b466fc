import { describe, expect, it } from 'vitest'
import { updateProjectBodySchema } from '../../../shared/schemas/projects'
import { commitLink, fileLink } from '../../../shared/repo-links'

const SHA = '3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39'

describe('commitLink', () => {
  it.each([
    ['https://github.com/acme/shop', `https://github.com/acme/shop/commit/${SHA}`],
    ['https://github.com/acme/shop.git/', `https://github.com/acme/shop/commit/${SHA}`],
    ['https://gitlab.com/acme/group/shop', `https://gitlab.com/acme/group/shop/-/commit/${SHA}`],
    ['https://gitlab.acme.io/platform/shop', `https://gitlab.acme.io/platform/shop/-/commit/${SHA}`],
    ['https://bitbucket.org/acme/shop', `https://bitbucket.org/acme/shop/commits/${SHA}`],
    ['https://git.acme.io/acme/shop', null],
    ['https://github.com/acme', null],
    [null, null],
  ])('%s', (repo, expected) => {
    expect(commitLink(repo, SHA)).toBe(expected)
  })

  it('gives no link for something that is not a commit hash', () => {
    expect(commitLink('https://github.com/acme/shop', 'main')).toBeNull()
    expect(commitLink('https://github.com/acme/shop', null)).toBeNull()
  })
})

describe('fileLink', () => {
  it.each([
    ['https://github.com/acme/shop', 'tests/cart.spec.ts', 12, `https://github.com/acme/shop/blob/${SHA}/tests/cart.spec.ts#L12`],
    ['https://github.com/acme/shop', './tests/cart.spec.ts:40:7', null, `https://github.com/acme/shop/blob/${SHA}/tests/cart.spec.ts#L40`],
    ['https://gitlab.com/acme/shop', 'src/tax calc.ts:3', null, `https://gitlab.com/acme/shop/-/blob/${SHA}/src/tax%20calc.ts#L3`],
    ['https://gitlab.acme.io/acme/shop', 'src/a.ts', null, `https://gitlab.acme.io/acme/shop/-/blob/${SHA}/src/a.ts`],
    ['https://bitbucket.org/acme/shop', 'src/a.ts:9', null, `https://bitbucket.org/acme/shop/src/${SHA}/src/a.ts#lines-9`],
    ['https://github.com/acme/shop', '/home/runner/work/shop/tests/a.ts:9', null, null],
    ['https://github.com/acme/shop', '../outside.ts', null, null],
    ['https://git.acme.io/acme/shop', 'src/a.ts', 1, null],
    // a JVM frame names its source without a directory: at the root it would be a 404, so no link
    ['https://github.com/acme/shop', 'ApplicationTests.java:42', null, null],
    ['https://github.com/acme/shop', 'CartService.kt', 7, null],
    ['https://github.com/acme/shop', 'api/src/test/java/com/example/api/ApplicationTests.java:42', null,
      `https://github.com/acme/shop/blob/${SHA}/api/src/test/java/com/example/api/ApplicationTests.java#L42`],
  ])('%s %s', (repo, file, line, expected) => {
    expect(fileLink(repo, SHA, file, line)).toBe(expected)
  })
})

describe('updateProjectBodySchema', () => {
  it('takes each setting alone, trims, and clears the repository URL with an empty string', () => {
    expect(updateProjectBodySchema.parse({ repositoryUrl: ' https://github.com/acme/shop/ ' })).toEqual({ repositoryUrl: 'https://github.com/acme/shop' })
    expect(updateProjectBodySchema.parse({ repositoryUrl: '' })).toEqual({ repositoryUrl: null })
    expect(updateProjectBodySchema.parse({ retentionDays: null, name: ' Shop ' })).toEqual({ retentionDays: null, name: 'Shop' })
  })

  it.each([
    [{}, 'Send at least one of'],
    [{ repositoryUrl: 'ftp://acme/shop' }, 'http(s) URL'],
    [{ repositoryUrl: 'javascript:alert(1)' }, 'http(s) URL'],
    [{ retentionDays: 0 }, 'at least 1 day'],
    [{ retentionDays: 1.5 }, 'whole number'],
    [{ name: '' }, '1–100 characters'],
    [{ slug: 'x' }, 'Send at least one of'],
  ])('refuses %j with a sentence', (body, sentence) => {
    const r = updateProjectBodySchema.safeParse(body)
    expect(r.success).toBe(false)
    expect(r.error!.issues.map(i => i.message).join(' ')).toContain(sentence)
  })
})
