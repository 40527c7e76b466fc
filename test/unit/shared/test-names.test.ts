import { describe, expect, it } from 'vitest'
import { jvmClassOf, suiteLabel, testFullName, testName, testPlace } from '../../../shared/test-names'

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
  ])('a Go test is placed in its package (%s)', (_name, suitePath, title, place) => {
    expect(testPlace({ suitePath, title, file: null })).toBe(place)
  })
})
