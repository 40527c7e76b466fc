import { describe, expect, it } from 'vitest'
import { jvmClassOf, shownSuites, suiteLabel, testFullName, testName, testPlace } from '../../../shared/test-names'

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
    // a pytest class under pytest's default suite
    [['pytest', 'tests.test_api.TestOrders'], 'test_refund', 'TestOrders › test_refund'],
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

describe('testPlace', () => {
  it('is the file, else the package of the class', () => {
    expect(testPlace({ suitePath: ['com.example.api.ApplicationTests'], title: 'contextLoads()', file: null })).toBe('com.example.api')
    expect(testPlace({ suitePath: ['CartTest'], title: 'adds()', file: null })).toBeNull()
    expect(testPlace({ suitePath: ['Checkout'], title: 'pays', file: 'e2e/checkout.spec.ts' })).toBe('e2e/checkout.spec.ts')
    expect(jvmClassOf({ suitePath: ['com.example.CartTest$WhenEmpty'], title: 'x()' }))
      .toEqual({ pkg: 'com.example', classes: ['CartTest', 'WhenEmpty'], binaryName: 'com.example.CartTest$WhenEmpty' })
  })
})
