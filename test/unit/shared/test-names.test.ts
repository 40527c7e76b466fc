import { describe, expect, it } from 'vitest'
import { byTestName, jvmClassOf, namedApart, pytestEscaped, pytestEscapes, shownNameLikes, shownSuites, shownTitle, suiteLabel, testFullName, testName, testPlace } from '../../../shared/test-names'
import { like, searchText } from './like'

describe('testName', () => {
  it.each([
    // Spring Boot's test in every module: the class before the method, the package left to the hover
    [['com.example.api.ApplicationTests'], 'contextLoads()', 'ApplicationTests › contextLoads()'],
    // JUnit 5 @Nested: Gradle's suite is the nested class's binary name; Surefire's repeats the outer class first
    [['com.example.CartTest$WhenEmpty'], 'total()', 'CartTest › WhenEmpty › total()'],
    [['com.example.CartTest', 'com.example.CartTest$WhenEmpty'], 'total()', 'CartTest › WhenEmpty › total()'],
    // a @DisplayName title keeps its class too; the default package's class only beside a method
    [['com.example.CartTest'], 'adds an item', 'CartTest › adds an item'],
    [['CartTest'], 'adds(int, int)', 'CartTest › adds(int, int)'],
    // not a class: describe blocks, a pytest module, no suite at all
    [['Checkout'], 'pays by card', 'pays by card'],
    [['checkout', 'card'], 'pays', 'pays'],
    [['tests.test_api'], 'test_create', 'test_create'],
    [['costs $5 more'], 'shows the price', 'shows the price'],
    [[], 'works', 'works'],
    // a pytest class under pytest's default suite; a parametrize id as pytest escapes it, decoded
    [['pytest', 'tests.test_api.TestOrders'], 'test_refund', 'TestOrders › test_refund'],
    [['pytest', 'tests.test_api'], 'test_greets[M\\xfcller]', 'test_greets[Müller]'],
    // libtest (cargo test): a test as cargo names it, libtest's `test` suite left out (test/fixtures/reports/cargo-*.xml)
    [['test', 'tests::parser'], 'unwrap_on_none', 'tests::parser::unwrap_on_none'],
    [['test', 'tests'], 'tokenizes_unicode_größe', 'tests::tokenizes_unicode_größe'],
    [['test', 'crate'], 'adds', 'adds'],
    [['test', 'integration'], 'adds_through_the_api', 'adds_through_the_api'],
    [['test', 'integration'], 'api::adds', 'api::adds'],
    [['test', 'src/lib.rs'], 'parse_cents (line 14)', 'src/lib.rs - parse_cents (line 14)'],
    // not libtest's: another suite named test, or more suites around it
    [['test', 'checkout'], 'pays by card', 'pays by card'],
    [['test', 'checkout', 'card'], 'pays', 'pays'],
    [['unit', 'tests::parser'], 'unwrap_on_none', 'unwrap_on_none'],
  ])('%j %s', (suitePath, title, expected) => {
    expect(testName({ suitePath, title })).toBe(expected)
  })
})

describe('suiteLabel and testFullName', () => {
  it('reads a nested class after its outer one, once', () => {
    expect(suiteLabel(['com.example.CartTest$WhenEmpty$AndLocked'])).toBe('com.example.CartTest › WhenEmpty › AndLocked')
    expect(suiteLabel(['com.example.CartTest', 'com.example.CartTest$WhenEmpty'])).toBe('com.example.CartTest › WhenEmpty')
    expect(suiteLabel(['costs $5 more', 'a$b c'])).toBe('costs $5 more › a$b c')
    expect(testFullName({ suitePath: ['com.example.api.ApplicationTests'], title: 'contextLoads()' }))
      .toBe('com.example.api.ApplicationTests › contextLoads()')
    expect(testFullName({ suitePath: [], title: 'works' })).toBe('works')
  })

  it('leaves out the root suite a framework names by default, never the stored path', () => {
    const path = ['pytest', 'tests.test_payments']
    expect(testFullName({ suitePath: path, title: 'test_charge' })).toBe('tests.test_payments › test_charge')
    expect(path).toEqual(['pytest', 'tests.test_payments'])
    expect(testFullName({ suitePath: ['pytest'], title: 'test_one' })).toBe('test_one')
    expect(suiteLabel(['pytest'])).toBe('')
    expect(suiteLabel(['rspec', 'spec.models.user_spec'])).toBe('spec.models.user_spec')
    expect(suiteLabel(['rspec3', 'spec.models.user_spec'])).toBe('spec.models.user_spec')
    expect(suiteLabel(['Mocha Tests', 'bibtexParser'])).toBe('bibtexParser')
    expect(suiteLabel(['Root Suite'])).toBe('')
    expect(suiteLabel(['CLI Arguments', 'Unit', 'FooTest'])).toBe('Unit › FooTest')
    // a suite a team named, or a default name below the root, stays
    expect(shownSuites(['api', 'pytest'])).toEqual(['api', 'pytest'])
    expect(shownSuites(['pytest tests', 'x'])).toEqual(['pytest tests', 'x'])
    expect(shownSuites(['All tests', 'packet'])).toEqual(['All tests', 'packet'])
  })
})

describe('shownTitle', () => {
  it.each([
    // pytest's escapes of a str id (_pytest/compat.py ascii_escaped): \xNN, \uNNNN, \UNNNNNNNN
    ['test_greets[M\\xfcller]', 'test_greets[Müller]'],
    ['test_greets[\\u65e5\\u672c-1]', 'test_greets[日本-1]'],
    ['test_emoji[\\U0001f600]', 'test_emoji[😀]'],
    ['TestX::test_a[[x]\\xe9]', 'TestX::test_a[[x]é]'],
    // an escaped backslash stays, and what follows it is no escape
    ['test_path[a\\\\b]', 'test_path[a\\\\b]'],
    ['test_path[a\\\\xfcb]', 'test_path[a\\\\xfcb]'],
    ['test_path[a\\\\\\xfcb]', 'test_path[a\\\\üb]'],
    // what would not show, or would break the line, stays escaped: controls, a soft hyphen, a zero-width space, a lone surrogate
    ['test_ws[tab\\tx-\\x0e-\\x85-\\xad-\\u200b-\\u2028-\\ud83d-\\UFFFFFFFF]', 'test_ws[tab\\tx-\\x0e-\\x85-\\xad-\\u200b-\\u2028-\\ud83d-\\UFFFFFFFF]'],
    // only in an id: a title without one, or with the escape before it, is as written
    ['x\\xfc[y]', 'x\\xfc[y]'],
    ['says \\xfc', 'says \\xfc'],
    ['adds(int, int)[2]', 'adds(int, int)[2]'],
    ['test_a[\\xfc', 'test_a[\\xfc'],
  ])('%s', (title, shown) => {
    expect(shownTitle(title)).toBe(shown)
  })

  it('names a receipt\'s failed test apart when its id is decoded', () => {
    expect(namedApart({ suitePath: ['pytest', 'tests.test_x'], title: 'test_greets[M\\xfcller]' })).toEqual({ name: 'test_greets[Müller]' })
    expect(namedApart({ suitePath: ['pytest', 'tests.test_x'], title: 'test_greets[Maier]' })).toEqual({})
  })

  it.each([
    [['example.com/ledger/internal/fx'], '[build failed]', 'example.com/ledger/internal/fx › [build failed]'],
    [['example.com/ledger/internal/fx'], 'TestMain', 'example.com/ledger/internal/fx › TestMain'],
    [['ledger'], 'Failure', 'ledger › Failure'],
  ])('names a Go package that failed as a whole with its package (%s %s)', (suitePath, title, name) => {
    expect(namedApart({ suitePath, title })).toEqual({ name })
  })

  it('names a Rust test by its module path, alone: it is its whole name', () => {
    expect(namedApart({ suitePath: ['test', 'tests::parser'], title: 'unwrap_on_none' })).toEqual({ name: 'tests::parser::unwrap_on_none' })
    expect(namedApart({ suitePath: ['test', 'integration'], title: 'adds_through_the_api' })).toEqual({})
    expect(testFullName({ suitePath: ['test', 'tests::parser'], title: 'unwrap_on_none' })).toBe('tests::parser::unwrap_on_none')
    expect(suiteLabel(['test', 'tests::parser'])).toBe('tests::parser')
    expect(suiteLabel(['test', 'src/lib.rs'])).toBe('src/lib.rs')
    expect(suiteLabel(['test', 'checkout pages'])).toBe('test › checkout pages')
  })

  it('names a Go test by its title alone', () => {
    expect(namedApart({ suitePath: ['example.com/ledger/internal/fx'], title: 'TestConvert/eur_to_usd' })).toEqual({})
  })
})

describe('testPlace', () => {
  it('is the file, else the package of the class', () => {
    expect(testPlace({ suitePath: ['com.example.api.ApplicationTests'], title: 'contextLoads()', file: null })).toBe('com.example.api')
    expect(testPlace({ suitePath: ['CartTest'], title: 'adds()', file: null })).toBeNull()
    expect(testPlace({ suitePath: ['Checkout'], title: 'pays', file: 'e2e/checkout.spec.ts' })).toBe('e2e/checkout.spec.ts')
    expect(jvmClassOf({ suitePath: ['com.example.CartTest$WhenEmpty'], title: 'x()' }))
      .toEqual({ pkg: 'com.example', classes: ['CartTest', 'WhenEmpty'], binaryName: 'com.example.CartTest$WhenEmpty' })
  })

  // the suite and title of real reports' tests: neither Go reporter names a file, both name the package
  it.each([
    ['go-junit-report', ['github.com/acme/svc/calc'], 'TestSub/negative_numbers', 'github.com/acme/svc/calc'],
    ['gotestsum', ['example.com/ledger/internal/fx'], 'TestConvert/eur_to_usd', 'example.com/ledger/internal/fx'],
    ['go-junit-report, a package that did not build', ['example.com/shop/internal/cart'], '[build failed]', 'example.com/shop/internal/cart'],
    ['go-junit-report, a TestMain that exited', ['example.com/shop/internal/orders'], 'Failure', 'example.com/shop/internal/orders'],
    ['gotestsum, a package that did not build', ['example.com/shop/internal/pricing'], 'TestMain', 'example.com/shop/internal/pricing'],
    ['a module named by one word', ['calc'], 'TestAdd', 'calc'],
    ['not Go: a describe block', ['checkout'], 'pays by card', null],
    ['not Go: a pytest module', ['tests.test_api'], 'test_create', null],
    ['not Go: a Rust doc-test, in its file', ['test', 'src/lib.rs'], 'parse_cents (line 14)', 'src/lib.rs'],
    ['not Go: a Rust unit test, its module in its name', ['test', 'tests::parser'], 'unwrap_on_none', null],
  ])('a Go test is placed in its package (%s)', (_name, suitePath, title, place) => {
    expect(testPlace({ suitePath, title, file: null })).toBe(place)
  })
})

describe('byTestName', () => {
  it('orders tests by the name a list shows, capitals and small letters alike, then by package', () => {
    const tests = [
      { suitePath: ['checkout'], title: 'scenario 5' },
      { suitePath: ['com.example.orders.ApplicationTests'], title: 'contextLoads()' },
      { suitePath: ['pytest', 'tests.test_x'], title: 'test_greet[\\u65e5\\u672c]' },
      { suitePath: ['checkout'], title: 'Scenario 4' },
      { suitePath: ['pytest', 'tests.test_x'], title: 'test_greet[Maier]' },
      { suitePath: ['com.example.billing.ApplicationTests'], title: 'contextLoads()' },
      { suitePath: ['checkout'], title: 'scenario 2' },
    ]
    const order = [...tests].sort(byTestName).map(t => [t.suitePath.join(' › '), testName(t)].join(': '))
    expect(order).toEqual([
      'com.example.billing.ApplicationTests: ApplicationTests › contextLoads()',
      'com.example.orders.ApplicationTests: ApplicationTests › contextLoads()',
      'checkout: scenario 2',
      'checkout: Scenario 4',
      'checkout: scenario 5',
      // by the decoded id: 日本 after every ASCII letter
      'pytest › tests.test_x: test_greet[Maier]',
      'pytest › tests.test_x: test_greet[日本]',
    ])
    expect(byTestName(tests[0]!, { ...tests[0]! })).toBe(0)
  })
})

describe('pytestEscaped', () => {
  it.each([
    ['Müller', 'M\\xfcller'],
    ['日本', '\\u65e5\\u672c'],
    ['😀 ok', '\\U0001f600 ok'],
    ['plain ascii', null],
  ])('%s → %s, as pytest writes it', (text, escaped) => {
    expect(pytestEscaped(text)).toBe(escaped)
  })

  it('is what shownTitle reads back', () => {
    for (const id of ['Müller', '日本', '😀', 'a b ü']) expect(shownTitle(`test_greet[${pytestEscaped(id)}]`)).toBe(`test_greet[${id}]`)
  })
})

describe('pytestEscapes: what a case-blind search looks for as pytest escapes it', () => {
  it.each([
    ['Müller', ['m\\xfcller', 'M\\xdcLLER']],
    ['MÜLLER', ['m\\xfcller', 'M\\xdcLLER']],
    ['日本', ['\\u65e5\\u672c']],
    ['plain ascii', []],
  ] as [string, string[]][])('%s → %j', (text, escapes) => {
    expect(pytestEscapes(text)).toEqual(escapes)
  })

  it('finds an id whatever the case of its letters past ASCII, as ilike compares (ASCII letters folded, escapes are ASCII)', () => {
    const ilike = (stored: string, pattern: string) => stored.toLowerCase().includes(pattern.toLowerCase())
    for (const stored of ['test_greet[M\\xfcller]', 'test_greet[M\\xdcLLER]']) {
      for (const q of ['Müller', 'müller', 'MÜLLER']) expect(pytestEscapes(q).some(e => ilike(stored, e)), `${q} in ${stored}`).toBe(true)
    }
  })
})

describe('shownNameLikes: what search finds a test by, named as the lists show it', () => {
  /** Whether search (services/search.ts testTextMatches) finds the stored test by `q`: as a substring, or by a pattern. */
  const finds = (q: string, suitePath: string[], title: string, file: string | null = null) => {
    const text = searchText(title, suitePath, file)
    return text.toLowerCase().includes(q.toLowerCase()) || shownNameLikes(q).some(p => like(p).test(text))
  }

  it.each([
    // [suite path, title, file, why]: the names testName's and testFullName's cases above show, found by each
    [['com.example.api.ApplicationTests'], 'contextLoads()', null, 'a JVM class by its simple name, stored by its qualified one'],
    [['com.example.CartTest$WhenEmpty'], 'total()', null, 'a JUnit 5 @Nested class, as Gradle names it'],
    [['com.example.CartTest', 'com.example.CartTest$WhenEmpty'], 'total()', null, 'the same, as Surefire names it'],
    [['com.example.CartTest'], 'adds an item', null, 'a @DisplayName title'],
    [['CartTest'], 'adds(int, int)', null, 'the default package'],
    [['Cart', 'totals'], 'adds tax', 'src/cart.test.ts', 'a Jest describe chain'],
    [['checkout', 'card'], 'pays', null, 'a describe chain, short words'],
    [['pytest', 'tests.test_api.TestOrders'], 'test_refund', 'tests/test_api.py', 'a pytest class under pytest\'s root suite'],
    [['pytest', 'tests.test_api.TestNames'], 'test_greets[M\\xfcller]', null, 'a pytest class, its id as pytest escapes it'],
    [['Cart'], 'splits a › b', null, 'a title that holds › itself'],
    [['Discounts'], 'takes 10% off', null, 'a title with %'],
    [['snake_case'], 'reads my_var', null, 'a title and suite with _'],
  ] as [string[], string, string | null, string][])('%j %s (%s): %s', (suitePath, title, file) => {
    const names = [testName({ suitePath, title }), testFullName({ suitePath, title })].filter(n => n.includes(' › '))
    expect(names.length).toBeGreaterThan(0)
    for (const name of names) {
      expect(finds(name, suitePath, title, file), name).toBe(true)
      expect(finds(name.toLowerCase(), suitePath, title, file), name).toBe(true)
      // as people type it (but a title holding › is typed with it)
      const typed = name.slice(0, name.lastIndexOf(title)).replaceAll(' › ', ' > ') + name.slice(name.lastIndexOf(title))
      if (name.includes(title)) expect(finds(typed, suitePath, title, file), typed).toBe(true)
    }
  })

  it.each([
    // [search, suite path, title, file, why]
    ['CartTest › WhenEmpty › total()', ['com.example.CartTest$WhenFull'], 'total()', null, 'another nested class'],
    ['WhenEmpty › CartTest › total()', ['com.example.CartTest$WhenEmpty'], 'total()', null, 'the classes in the other order'],
    ['ApplicationTests › contextLoads()', ['com.example.OtherTests'], 'contextLoads()', null, 'another class'],
    ['Cart › totals › adds tax', ['Cart', 'totals'], 'adds fees', null, 'another title'],
    ['adds tax › Cart', ['Cart'], 'adds tax', null, 'the title before its suite'],
    ['Cart › adds tax', [], 'adds tax', 'src/Cart.test.ts', 'a suite part in the file only'],
    ['Discounts › takes 10% off', ['Discounts'], 'takes 10 percent off', null, '% is a character, not a wildcard'],
    ['snake_case › reads my_var', ['snakeXcase'], 'reads myXvar', null, '_ is a character, not a wildcard'],
  ] as [string, string[], string, string | null, string][])('%s does not find %j %s', (q, suitePath, title, file) => {
    expect(finds(q, suitePath, title, file)).toBe(false)
  })

  it('reads ` › ` and ` > ` alike, escapes LIKE\'s characters, and has no pattern for text without a part before a title', () => {
    expect(shownNameLikes('Discounts › takes 10% off_now')).toEqual(['%takes 10\\% off\\_now% %Discounts% %'])
    expect(shownNameLikes('Cart > totals > adds tax')[0]).toBe(shownNameLikes('Cart › totals › adds tax')[0])
    expect(shownNameLikes('Cart › a › b')).toEqual(['%b% %Cart%a% %', '%a › b% %Cart% %'])
    expect(shownNameLikes('TestNames › test_greets[Müller]')).toEqual(expect.arrayContaining([
      '%test\\_greets[m\\\\xfcller]% %TestNames% %', '%TEST\\_GREETS[M\\\\xdcLLER]% %TestNames% %',
    ]))
    for (const text of ['contextLoads()', ' › x', 'x › ', 'a›b', 'a>b']) expect(shownNameLikes(text), text).toEqual([])
  })
})
