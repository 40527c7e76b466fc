import { describe, expect, it } from 'vitest'
import { ownersOf, parseCodeowners, patternAutomaton, patternMatcher } from '../../../server/analysis/codeowners'

describe('CODEOWNERS patterns (GitHub semantics)', () => {
  it.each<[string, string, boolean, string?]>([
    ['*', 'a.ts', true],
    ['*', 'deep/dir/a.ts', true],
    ['*.js', 'src/app.js', true],
    ['*.js', 'src/app.ts', false],
    ['docs', 'docs/a.md', true, 'a bare name is a file or directory at any depth'],
    ['docs', 'src/docs/a.md', true],
    ['/docs', 'src/docs/a.md', false, 'a leading slash anchors at the root'],
    ['/docs/', 'docs/x/y.md', true],
    ['apps/', 'apps/web/a.ts', true, 'a trailing slash: a directory anywhere'],
    ['apps/', 'src/apps/web/a.ts', true],
    ['apps/', 'apps', false, 'a trailing slash never matches a file'],
    ['docs/*', 'docs/getting-started.md', true],
    ['docs/*', 'docs/build-app/troubleshooting.md', false, 'dir/* owns only the files directly in it'],
    ['docs/*', 'src/docs/a.md', false, 'a slash inside anchors at the root'],
    ['src/tests/', 'src/tests/unit/a.test.ts', true],
    ['src/tests/', 'lib/src/tests/a.ts', false],
    ['**/logs', 'build/logs/x.log', true],
    ['**/logs', 'logs/x.log', true],
    ['docs/**', 'docs/a/b/c.md', true],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/y/c', false],
    ['te?t.ts', 'src/test.ts', true],
    ['te?t.ts', 'src/te/t.ts', false],
    ['tests/checkout.spec.ts', 'tests/checkout.spec.ts', true],
    ['tests/checkout.spec.ts', 'e2e/tests/checkout.spec.ts', false],
    ['file.name+x.ts', 'file.name+x.ts', true, 'regex characters are literal'],
    ['file.name+x.ts', 'fileXname+x.ts', false],
    ['*a*a*a*a*a*a*a*a*b', 'a'.repeat(40), false, 'many stars against a long name: no backtracking (57 s as a regex)'],
    ['*a*a*a*a*a*a*a*a*b', `${'a'.repeat(40)}b`, true],
    ['**/**/**/**/x', `${'d/'.repeat(200)}y`, false],
    ['**/**/**/**/x', `${'d/'.repeat(200)}x`, true],
    ['src/**', 'src', false, 'a directory pattern does not own the directory as a file'],
    ['docs/', 'docs/', false],
    ['*.md', 'README.md/notes.txt', true, 'a name matching at any depth owns what is below it'],
  ])('%s vs %s → %s', (pattern, path, matches) => {
    expect(patternMatcher(pattern)(path)).toBe(matches)
    // the automaton (patterns past one `*`) agrees with the regular expression on every pattern
    expect(patternAutomaton(pattern)(path)).toBe(matches)
  })
})

describe('ownersOf: the last matching rule wins', () => {
  const rules = parseCodeowners(`
# comment
*                       @acme/everyone
*.spec.ts               @acme/qa            # trailing comment
/tests/checkout/        @acme/payments @alice
/tests/checkout/legacy/
docs/*                  docs@example.com
\\#odd                  @hash
!negated                @never
[ab].ts                 @never
`)
  it.each<[string | null, string[], string?]>([
    ['src/index.ts', ['@acme/everyone']],
    ['src/app.spec.ts', ['@acme/qa']],
    ['tests/checkout/pay.spec.ts', ['@acme/payments', '@alice']],
    ['./tests/checkout/pay.spec.ts', ['@acme/payments', '@alice']],
    ['/tests/checkout/pay.spec.ts', ['@acme/payments', '@alice']],
    ['tests\\checkout\\pay.spec.ts', ['@acme/payments', '@alice']],
    ['tests/checkout/legacy/old.spec.ts', [], 'a later rule without owners unowns'],
    ['docs/readme.md', ['docs@example.com']],
    ['#odd', ['@hash']],
    ['a.ts', ['@acme/everyone'], 'ranges and negation are not GitHub syntax: skipped'],
    [null, []],
  ])('%s → %o', (file, owners) => {
    expect(ownersOf(rules, file)).toEqual(owners)
  })

  it('skips a pattern longer than any path, whatever it holds, and keeps the rest', () => {
    for (const long of ['a'.repeat(50_000), `${'*'.repeat(5000)}.ts`, `/${'a/'.repeat(3000)}`]) {
      const parsed = parseCodeowners(`*.ts @acme/ts\n${long} @acme/long\n`)
      expect(parsed.map(r => r.pattern)).toEqual(['*.ts'])
      expect(ownersOf(parsed, 'a.ts')).toEqual(['@acme/ts'])
    }
    expect(parseCodeowners(`${'a'.repeat(4096)} @acme/x`)).toHaveLength(1)
  })

  it('reads a run of stars as two, in time whatever the path (16 stars backtracked for over 100 s)', () => {
    const path = 'packages/web/src/components/checkout/payment-form.spec.tsx'
    for (const stars of [3, 16, 400]) {
      const rules = parseCodeowners(`${'*'.repeat(stars)}.tsx @acme/tsx\n${'*'.repeat(stars)}x.ts @acme/never`)
      expect(ownersOf(rules, path), `${stars} stars`).toEqual(['@acme/tsx'])
    }
  })

  it('tells each line it does not read as a rule, and each owner it leaves out, with the line\'s number and why', () => {
    const skipped: { line: number, text: string, reason: string }[] = []
    const text = ['# owners', '*  @acme/all', '!vendor/  @acme/never', '[ab].ts  @never', `${'a'.repeat(5000)}  @long`,
      'docs/  @docs team-typo  docs@example.com', '*.md  @acme/docs   # comment'].join('\r\n')
    const rules = parseCodeowners(text, s => skipped.push(s))
    expect(rules.map(r => [r.pattern, r.owners])).toEqual([['*', ['@acme/all']], ['*.md', ['@acme/docs']]])
    // the invalid line owns nothing and unowns nothing: docs/ keeps the owner of the rule above it
    expect(ownersOf(rules, 'docs/a.txt')).toEqual(['@acme/all'])
    expect(skipped.map(s => [s.line, s.text.slice(0, 20), s.reason])).toEqual([
      [3, '!vendor/  @acme/neve', 'negation (!) is not CODEOWNERS syntax; GitHub skips the line too'],
      [4, '[ab].ts  @never', 'character ranges ([ ]) are not CODEOWNERS syntax; GitHub skips the line too'],
      [5, 'a'.repeat(20), 'the pattern is over 4,096 characters, longer than any path'],
      [6, 'docs/  @docs team-ty', '"team-typo" is not @user, @org/team or an email; GitHub skips the line too'],
    ])
    expect(skipped[2]!.text).toHaveLength(200)
  })

  it('reads the first 5,000 rules and tells every line past them', () => {
    const skipped: number[] = []
    const rules = parseCodeowners(Array.from({ length: 5003 }, (_, i) => `f${i}.ts @o`).join('\n'), s => skipped.push(s.line))
    expect(rules).toHaveLength(5000)
    expect(skipped).toEqual([5001, 5002, 5003])
  })

  it('owns nothing without rules', () => {
    expect(ownersOf(parseCodeowners(''), 'a.ts')).toEqual([])
  })
})
