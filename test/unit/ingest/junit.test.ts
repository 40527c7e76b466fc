import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseJunit, streamJunit } from '../../../server/ingest/junit'
import { HELD_FOR_OUTPUT } from '../../../server/ingest/junit-reader'
import { mergeExecutions, testIdentity, testLabel } from '../../../server/ingest/merge'
import { foldUpload, packBatch } from '../../../server/ingest/packed'
import { fingerprintFailure } from '../../../server/analysis/fingerprint'
import type { ParsedResult } from '../../../server/ingest/types'
import { corpusText, counts, expectInvariants, fixture, parseError, reviewed } from './helpers'

const suite = (cases: string, attrs = '') => `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n<testsuite name="S"${attrs}>\n${cases}\n</testsuite>\n</testsuites>\n`
const one = (inner: string, attrs = '') => {
  const report = parseJunit(suite(`<testcase classname="S" name="t" time="1"${attrs}>${inner}</testcase>`))
  expect(report.results).toHaveLength(1)
  return report.results[0]!
}

describe('status precedence: error > failure > rerun-only > skipped > status attribute > passed', () => {
  it.each([
    ['nothing', '', '', 'passed'],
    ['<error>', '<error message="e"/>', '', 'errored'],
    ['<failure>', '<failure message="f"/>', '', 'failed'],
    ['<skipped>', '<skipped/>', '', 'skipped'],
    ['<error> beats <failure>', '<failure message="f"/><error message="e"/>', '', 'errored'],
    ['<error> beats <skipped>', '<skipped/><error message="e"/>', '', 'errored'],
    ['<failure> beats <skipped> (Jenkins would say skipped)', '<skipped/><failure message="f"/>', '', 'failed'],
    ['<rerunFailure> alone (schema violation) is failed', '<rerunFailure message="r"/>', '', 'failed'],
    ['<rerunError> alone is failed, not errored', '<rerunError message="r"/>', '', 'failed'],
    ['<rerunFailure> beats <skipped>', '<skipped/><rerunFailure message="r"/>', '', 'failed'],
    ['<skipped> beats status="run"', '<skipped/>', ' status="run"', 'skipped'],
    ['status="disabled"', '', ' status="disabled"', 'skipped'],
    ['status="skipped"', '', ' status="skipped"', 'skipped'],
    ['status="notrun"', '', ' status="notrun"', 'skipped'],
    ['status="run" result="skipped" (gtest)', '', ' status="run" result="skipped"', 'skipped'],
    ['status="run" is passed', '', ' status="run"', 'passed'],
    ['status="disabled" loses to <failure>', '<failure message="f"/>', ' status="disabled"', 'failed'],
    ['pytest xfail is skipped', '<skipped type="pytest.xfail" message="known bug"/>', '', 'skipped'],
    ['flakyFailure on a passing case is passed', '<flakyFailure message="x"/>', '', 'passed'],
  ])('%s', (_name, inner, attrs, status) => {
    const r = one(inner, attrs)
    expect(r.status).toBe(status)
    expect(r.attempts[r.attempts.length - 1]!.status).toBe(status)
  })

  it('labels an xfail skip as xfail and keeps its reason', () => {
    expect(one('<skipped type="pytest.xfail" message="known bug"/>').annotations).toEqual([{ type: 'xfail', description: 'known bug' }])
    expect(one('<skipped>not on Windows</skipped>').annotations).toEqual([{ type: 'skip', description: 'not on Windows' }])
  })
})

describe('retries: pytest-rerunfailures writes a rerun as an empty testcase of the same test before its next try', () => {
  // pytest 9 with pytest-rerunfailures 16 (`--reruns 2`): a try that is run again leaves a testcase with no outcome
  const report = parseJunit(fixture('pytest-rerunfailures.xml'))
  const folded = (title: string) => mergeExecutions(report.results.filter(r => r.title === title))

  it('reads each try that was run again as failed, so a pass on a rerun is a flaky pass', () => {
    const fetch = folded('test_fetch_user')
    expect([fetch.status, fetch.flaky, fetch.attempts.map(a => [a.status, a.errorMessage])]).toEqual(['passed', true, [['failed', null], ['passed', null]]])
    const down = folded('test_always_down')
    expect([down.status, down.flaky, down.attempts.map(a => a.status)]).toEqual(['failed', false, ['failed', 'failed', 'failed']])
    expect(down.errorMessage).toBe('ConnectionRefusedError: [Errno 111] Connection refused')
    expect(report.results.filter(r => !['test_fetch_user', 'test_always_down'].includes(r.title)).map(r => [r.title, r.status]))
      .toEqual([['test_total', 'passed'], ['test_vat[de]', 'passed'], ['test_user_ids[2]', 'passed']])
  })

  it('reads no pass as a failed try outside a pytest suite (another producer, a merged report)', () => {
    const twice = parseJunit('<testsuite name="other"><testcase classname="a" name="t"/><testcase classname="a" name="t"/></testsuite>').results
    expect(twice.map(r => [r.status, r.variant])).toEqual([['passed', null], ['passed', '2']])
    expect(mergeExecutions(twice)).toMatchObject({ status: 'passed', flaky: false })
  })
})

describe('invocations: a test Gradle writes several times under one name is several tests, not retries', () => {
  const fail = '<failure message="expected: &lt;0.13&gt; but was: &lt;0.12&gt;" type="org.opentest4j.AssertionFailedError">org.opentest4j.AssertionFailedError</failure>'
  /** One test class's Gradle report: a testcase per letter of each name's string, P passed, F failed, S skipped. */
  const gradle = (...cases: [string, string][]) => `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="com.acme.MoneyTest" tests="${cases.length}" skipped="0" failures="0" errors="0" timestamp="2026-12-07T10:00:00" hostname="ci" time="0.2">
  <properties/>
${cases.flatMap(([name, tries]) => [...tries].map(t => `  <testcase name="${name}" classname="com.acme.MoneyTest" time="0.01"${
  t === 'P' ? '/>' : `>${t === 'F' ? fail : '<skipped/>'}</testcase>`}`)).join('\n')}
  <system-out><![CDATA[]]></system-out>
  <system-err><![CDATA[]]></system-err>
</testsuite>`
  /** The report as the upload stores it: one result per identity, by test label. */
  function stored(xml: string) {
    const results = parseJunit(xml).results
    const { slices } = foldUpload([{ name: 'TEST-com.acme.MoneyTest.xml', batches: [packBatch(results)] }])
    const merged = [...slices(1000)].flat()
    return {
      tests: Object.fromEntries(merged.map(m => [testLabel(m.result), `${m.result.attempts.map(a => a.status[0]!.toUpperCase()).join('')}${m.result.flaky ? ' flaky' : ''}`])),
      identities: merged.map(m => m.identityHash),
    }
  }
  const label = (n: number) => `com.acme.MoneyTest › rounds half up${n > 1 ? ` [${n}]` : ''}`

  it.each<[string, [string, string][], Record<string, string>]>([
    ['@ParameterizedTest(name = "rounds half up"), five invocations that pass: five tests', [['rounds half up', 'PPPPP']],
      Object.fromEntries([1, 2, 3, 4, 5].map(n => [label(n), 'P']))],
    ['one failing invocation among passing ones: a failed test, not a flaky pass', [['rounds half up', 'PPFPP']],
      { [label(1)]: 'P', [label(2)]: 'P', [label(3)]: 'F', [label(4)]: 'P', [label(5)]: 'P' }],
    ['the first invocation failing: still five tests', [['rounds half up', 'FPPPP']],
      { [label(1)]: 'F', [label(2)]: 'P', [label(3)]: 'P', [label(4)]: 'P', [label(5)]: 'P' }],
    ['the test-retry plugin runs every invocation again after the class: each folds into its own, a flaky pass for the one that failed',
      [['rounds half up', 'PPFPP'], ['formats()', 'P'], ['rounds half up', 'PPPPP']],
      { [label(1)]: 'PP', [label(2)]: 'PP', [label(3)]: 'FP flaky', [label(4)]: 'PP', [label(5)]: 'PP', 'com.acme.MoneyTest › formats()': 'P' }],
    ['a test retried at once (the class\'s last) is one test: a retry follows a failure only', [['formats()', 'P'], ['converts()', 'FFP']],
      { 'com.acme.MoneyTest › formats()': 'P', 'com.acme.MoneyTest › converts()': 'FFP flaky' }],
    ['a retry after the other tests is one test', [['converts()', 'F'], ['formats()', 'P'], ['converts()', 'P']],
      { 'com.acme.MoneyTest › converts()': 'FP flaky', 'com.acme.MoneyTest › formats()': 'P' }],
    ['a try written as skipped (TestNG\'s retry analyzer) is still a try', [['converts()', 'SF']],
      { 'com.acme.MoneyTest › converts()': 'SF' }],
  ])('%s', (_, cases, tests) => {
    expect(stored(gradle(...cases)).tests).toEqual(tests)
  })

  it('keeps each invocation\'s identity from run to run, whichever of them failed, so its history holds', () => {
    const passing = stored(gradle(['rounds half up', 'PPPPP'])).identities
    expect(stored(gradle(['rounds half up', 'PPFPP'])).identities).toEqual(passing)
    expect(stored(gradle(['rounds half up', 'FPPPP'])).identities).toEqual(passing)
    // the first keeps the identity the test had when its invocations were folded into one
    expect(passing[0]).toBe(stored(gradle(['rounds half up', 'P'])).identities[0])
  })

  it('numbers invocations after the project the report names in hostname', () => {
    const xml = (host: string) => `<testsuite name="cart" hostname="${host}"><testcase classname="cart" name="adds"/><testcase classname="cart" name="adds"/></testsuite>`
    const results = parseJunit(`<testsuites>${xml('chromium')}${xml('firefox')}</testsuites>`).results
    expect(results.map(r => r.variant)).toEqual(['chromium', 'chromium 2', 'firefox', 'firefox 2'])
  })
})

describe('retries: Surefire/Gradle flaky and rerun elements are attempts, in document order', () => {
  const report = parseJunit(fixture('surefire-reruns.xml'))
  const [flaky, never, stable] = report.results

  it('counts three tests, one flaky', () => {
    expect(counts(report)).toEqual({ tests: 3, passed: 2, failed: 1, errored: 0, skipped: 0, flaky: 1 })
    expectInvariants(report)
  })

  it('puts the failed tries first and the final pass last, each with its own error and output', () => {
    expect(flaky!.status).toBe('passed')
    expect(flaky!.flaky).toBe(true)
    expect(flaky!.attempts.map(a => [a.status, a.errorMessage, a.stdout, a.stderr])).toEqual([
      ['failed', 'first try', 'attempt 1 output', null],
      ['errored', 'second try', null, 'attempt 2 stderr'],
      ['passed', null, 'final passing run', null],
    ])
    expect(flaky!.attempts[0]!.errorStack).toBe('java.lang.AssertionError: first try\n\tat com.acme.RetryTest.passesOnThirdTry(RetryTest.java:10)')
    expect(flaky!.attempts[2]!.durationMs).toBe(300)
    // the error shown is the last failed try's
    expect(flaky!.errorMessage).toBe('second try')
  })

  it('makes reruns after a <failure> extra failed attempts of one failed test', () => {
    expect(never!.status).toBe('failed')
    expect(never!.flaky).toBe(false)
    expect(never!.attempts.map(a => [a.status, a.errorMessage])).toEqual([
      ['failed', 'run 1'],
      ['failed', 'run 2'],
      ['failed', 'run 3'], // a rerunError as the final try still leaves the test "failed" (failure beats rerunError)
    ])
    expect(never!.errorMessage).toBe('run 3')
    expect(never!.errorStack).toBe('java.lang.RuntimeException: run 3')
  })

  it('gives a stable test one passed attempt', () => {
    expect(stable!.attempts).toEqual([expect.objectContaining({ status: 'passed', durationMs: 10 })])
  })
})

describe('structure: nested suites, odd wrappers, run-level errors, properties, output', () => {
  const report = parseJunit(fixture('nested-suites.xml'))
  const byTitle = Object.fromEntries(report.results.map(r => [r.title, r]))

  it('finds testcases at any depth, including under an unknown element and directly under <testsuites>', () => {
    expect(report.results.map(r => r.title)).toEqual(['at the outer level', 'in a class', 'wrapped somewhere odd', 'loose at the root'])
  })

  it('builds suitePath from suite names outermost first, plus the classname when it differs from the innermost suite', () => {
    expect(byTitle['at the outer level']!.suitePath).toEqual(['Outer'])
    expect(byTitle['in a class']!.suitePath).toEqual(['Outer', 'Inner', 'com.acme.InnerTest'])
    expect(byTitle['wrapped somewhere odd']!.suitePath).toEqual(['Outer', 'Inner'])
    expect(byTitle['loose at the root']!.suitePath).toEqual([])
  })

  it('takes file and line from the testcase, else the file from the enclosing suite', () => {
    expect([byTitle['at the outer level']!.file, byTitle['at the outer level']!.line]).toEqual(['src/outer.test.ts', 3])
    expect([byTitle['in a class']!.file, byTitle['in a class']!.line]).toEqual(['src/inner.test.ts', 10])
    expect(byTitle['loose at the root']!.file).toBeNull()
  })

  it('merges root, suite and case properties, the innermost winning', () => {
    expect(byTitle['at the outer level']!.properties).toEqual({ ci: 'true', browser: 'firefox', note: 'text-bodied value' })
    expect(byTitle['in a class']!.properties).toEqual({ ci: 'true', browser: 'chromium', note: 'text-bodied value', owner: 'team-a' })
    expect(byTitle['loose at the root']!.properties).toEqual({ ci: 'true' })
  })

  it('reads durations, including a decimal comma and template garbage', () => {
    expect(byTitle['at the outer level']!.durationMs).toBe(500)
    expect(byTitle['in a class']!.durationMs).toBe(1250)
    expect(byTitle['wrapped somewhere odd']!.durationMs).toBeNull()
    expect(byTitle['loose at the root']!.durationMs).toBeNull()
    expect(report.durationMs).toBe(12500)
    expect(report.startedAt).toBe('2024-05-01T10:00:00.000Z')
  })

  it('turns an <error> directly under <testsuite> into a run error, not a test', () => {
    expect(counts(report).tests).toBe(4)
    expect(report.errors).toEqual([{ message: 'Outer: BeforeAll hook crashed', stack: 'Error: BeforeAll hook crashed\n    at setup (outer.test.ts:1:1)' }])
    expect(report.warnings.join(' ')).toMatch(/outside any testcase/)
  })

  it('turns failures the report counts and no testcase holds into a run error: gotestsum on Go 1.19, a package that did not build', () => {
    // real: its broken package has no testcase, the root counts its compiler error, the one testcase passed
    const gotestsum = parseJunit(fixture('gotestsum-go119-build.xml'))
    expect(counts(gotestsum)).toMatchObject({ tests: 1, passed: 1, failed: 0, errored: 0 })
    expect(gotestsum.errors).toEqual([{ message: expect.stringMatching(/^The report counts 1 error \(<testsuites errors="1">\) that no testcase holds; see the job's log: gotestsum before Go 1\.24 writes a Go package that did not build so/), stack: null }])
  })

  it.each([
    // [what the report says, run errors]
    ['<testsuite name="S" failures="2" errors="1"><testcase name="a"/><testcase name="b"><skipped/></testcase></testsuite>',
      ['<testsuite failures="2" errors="1">']],
    ['<testsuites><testsuite name="A" errors="1"><testcase name="a"/></testsuite><testsuite name="B" errors="2"/></testsuites>',
      ['its <testsuite> elements, errors="3" in all']],
    ['<testsuites tests="1" failures="1"/>', ['<testsuites failures="1">']],
    // held: by a testcase, a flaky pass, an <error> outside any testcase; or nothing counted
    ['<testsuite name="S" failures="5"><testcase name="a"><failure/></testcase><testcase name="b"/></testsuite>', []],
    ['<testsuite name="S" failures="1"><testcase name="a"><flakyFailure/></testcase></testsuite>', []],
    ['<testsuite name="S" errors="1"><error message="boom"/><testcase name="a"/></testsuite>', ['S: boom']],
    ['<testsuite name="S" failures="0" errors="x"><testcase name="a"/></testsuite>', []],
  ])('%s -> %j', (xml, errors) => {
    const messages = parseJunit(xml).errors.map(e => e.message)
    expect(messages).toHaveLength(errors.length)
    errors.forEach((e, i) => expect(messages[i]).toContain(e))
  })

  describe('a suite\'s own output (Gradle writes a test class\'s output there, after its testcases)', () => {
    const header = (suite: string) => `── output of the suite ${suite}, written for all of its tests ──`

    it('goes with its failed, errored and flaky tests that have none of their own, not with the ones that passed', () => {
      const gradle = parseJunit(`<testsuite name="com.acme.ApplicationTests" tests="4">
        <testcase name="contextLoads()" classname="com.acme.ApplicationTests"><failure message="boom"/></testcase>
        <testcase name="passes()" classname="com.acme.ApplicationTests"/>
        <testcase name="ownOutput()" classname="com.acme.ApplicationTests"><error message="npe"/><system-out>mine</system-out></testcase>
        <testcase name="retried()" classname="com.acme.ApplicationTests"><flakyFailure message="once"/></testcase>
        <system-out><![CDATA[NoSuchBeanDefinitionException: no bean named ledger]]></system-out><system-err><![CDATA[WARN pool exhausted]]></system-err></testsuite>`)
      const out = Object.fromEntries(gradle.results.map(r => [r.title, [r.stdout, r.stderr]]))
      const said = `${header('com.acme.ApplicationTests')}\n`
      expect(out).toEqual({
        'contextLoads()': [`${said}NoSuchBeanDefinitionException: no bean named ledger`, `${said}WARN pool exhausted`],
        'passes()': [null, null],
        'ownOutput()': ['mine', `${said}WARN pool exhausted`],
        'retried()': [`${said}NoSuchBeanDefinitionException: no bean named ledger`, `${said}WARN pool exhausted`],
      })
      expect(gradle.results.map(r => r.title)).toEqual(['contextLoads()', 'passes()', 'ownOutput()', 'retried()'])
      expect(gradle.warnings).toEqual([])
    })

    it('goes to each suite\'s own tests, written before or after them, nested suites included', () => {
      const r = parseJunit(`<testsuites>
        <testsuite name="A"><system-out>from A</system-out><testcase name="a1"><failure/></testcase></testsuite>
        <testsuite name="B"><testcase name="b1"><failure/></testcase>
          <testsuite name="C"><testcase name="c1"><failure/></testcase><system-out>from C</system-out></testsuite>
          <system-out>from B</system-out></testsuite>
        <testsuite name="D"><testcase name="d1"><failure/></testcase></testsuite></testsuites>`).results
      expect(r.map(x => [x.title, x.stdout])).toEqual([
        ['a1', `${header('A')}\nfrom A`], ['b1', `${header('B')}\nfrom B`], ['c1', `${header('C')}\nfrom C`], ['d1', null],
      ])
    })

    it('says how much was not kept when its suite has no failed test, and how to keep it per test', () => {
      const green = parseJunit(`<testsuite name="com.acme.ApplicationTests" tests="1"><testcase name="contextLoads()" classname="com.acme.ApplicationTests"/>
        <system-out><![CDATA[NoSuchBeanDefinitionException: no bean named ledger]]></system-out><system-err><![CDATA[]]></system-err></testsuite>`)
      expect(green.warnings).toEqual([expect.stringMatching(/^51 characters of suite-level output .* were not kept: a suite's output is kept with its failed tests, and these suites had none\. Gradle's reports\.junitXml\.outputPerTestCase = true writes output with each test\.$/)])
      const perTest = parseJunit('<testsuite name="s"><testcase name="t"><system-out>hello</system-out></testcase></testsuite>')
      expect(perTest.warnings).toEqual([])
    })

    it('holds at most HELD_FOR_OUTPUT results for it: past them the earlier ones go on without it, in order', () => {
      const n = HELD_FOR_OUTPUT + 5
      const cases = Array.from({ length: n }, (_, i) => `<testcase name="t${i}"><failure/></testcase>`).join('')
      const seen: string[] = []
      const report = streamJunit(`<testsuite name="big">${cases}<system-out>late</system-out></testsuite>`, r => seen.push(`${r.title}:${r.stdout ? 'out' : '-'}`))
      expect(seen).toHaveLength(n)
      expect(seen.slice(0, 6)).toEqual(['t0:-', 't1:-', 't2:-', 't3:-', 't4:-', 't5:out'])
      expect(seen.at(-1)).toBe(`t${n - 1}:out`)
      expect(report.warnings).toEqual([])
    })
  })

  it('counts a testcase nested in a testcase as a test of its own, after its parent', () => {
    const r = parseJunit('<testsuite name="S"><testcase name="parent"><testcase name="child"><failure/></testcase></testcase></testsuite>').results
    expect(r.map(x => [x.title, x.status, x.suitePath])).toEqual([['parent', 'passed', ['S']], ['child', 'failed', ['S', 'parent']]])
  })

  it('does not repeat a suite named after the file in suitePath (vitest, Playwright junit)', () => {
    const r = parseJunit('<testsuite name="src/a.test.ts" file="src/a.test.ts"><testcase classname="src/a.test.ts" name="works"/></testsuite>').results[0]!
    expect([r.file, r.suitePath]).toEqual(['src/a.test.ts', []])
  })

  it('keeps suite-level output on the report', () => {
    expect(report.stdout).toBe('suite says hello')
    expect(report.stderr).toBe('suite complains')
  })
})

describe('suitePath and classname', () => {
  it.each([
    ['classname equal to the suite name is not repeated', '<testsuite name="pkg.A"><testcase classname="pkg.A" name="t"/></testsuite>', ['pkg.A']],
    ['classname different from the suite name is appended', '<testsuite name="pytest"><testcase classname="tests.test_x" name="t"/></testsuite>', ['pytest', 'tests.test_x']],
    ['no classname', '<testsuite name="S"><testcase name="t"/></testsuite>', ['S']],
    ['empty classname (gotestsum TestMain)', '<testsuite name="S"><testcase classname="" name="t"/></testsuite>', ['S']],
    ['unnamed suite (Nette Tester)', '<testsuite><testcase classname="C" name="t"/></testsuite>', ['C']],
    ['classname equal to the title (jest-junit templates) is not a suite', '<testsuite name="S"><testcase classname="does x" name="does x"/></testsuite>', ['S']],
    ['three levels of <testsuite> (PHPUnit)', '<testsuites><testsuite name="A"><testsuite name="B"><testsuite name="C"><testcase classname="C" name="t"/></testsuite></testsuite></testsuite></testsuites>', ['A', 'B', 'C']],
  ])('%s', (_name, xml, path) => {
    expect(parseJunit(xml).results[0]!.suitePath).toEqual(path)
  })
})

describe('the file of a test', () => {
  // Cypress (mocha-junit-reporter) writes one report per spec file, the file named only on an empty "Root Suite"
  const cypress = (spec: string) => `<testsuites name="Mocha Tests"><testsuite name="Root Suite" tests="0" file="${spec}"></testsuite>
    <testsuite name="form" tests="2"><testcase name="form shows validation errors" classname="shows validation errors"/>
    <testsuite name="nested"><testcase name="form nested submits" classname="submits"/></testsuite></testsuite></testsuites>`

  it.each([
    ['from the suites around it', '<testsuite name="S" file="a.test.ts"><testcase name="t"/></testsuite>', ['a.test.ts']],
    ['its own over its suite\'s', '<testsuite name="S" file="a.test.ts"><testcase name="t" file="b.test.ts"/></testsuite>', ['b.test.ts']],
    ['from an empty top-level suite before its own (Cypress\'s Root Suite)', cypress('cypress/e2e/a.cy.js'), ['cypress/e2e/a.cy.js', 'cypress/e2e/a.cy.js']],
    ['not from a suite with tests of its own beside it', '<testsuites><testsuite name="A" file="a.ts"><testcase name="x"/></testsuite><testsuite name="B"><testcase name="y"/></testsuite></testsuites>', ['a.ts', null]],
    ['not from an empty suite nested in another', '<testsuites><testsuite name="A"><testsuite name="E" file="e.ts"/></testsuite><testsuite name="B"><testcase name="y"/></testsuite></testsuites>', [null]],
  ])('%s', (_name, xml, files) => {
    expect(parseJunit(xml).results.map(r => r.file)).toEqual(files)
  })

  it('reads a merged Cypress report spec by spec, a spec with a test at its root included', () => {
    const merged = `<testsuites name="Mocha Tests">
      <testsuite name="Root Suite" tests="0" file="a.cy.js"></testsuite>
      <testsuite name="form" tests="1"><testcase name="form submits" classname="submits"/></testsuite>
      <testsuite name="Root Suite" tests="1" file="b.cy.js"><testcase name="loads" classname="loads"/></testsuite>
      <testsuite name="form" tests="1"><testcase name="form submits" classname="submits"/></testsuite></testsuites>`
    expect(parseJunit(merged).results.map(r => [r.title, r.file])).toEqual([
      ['form submits', 'a.cy.js'], ['loads', 'b.cy.js'], ['form submits', 'b.cy.js'],
    ])
  })

  it('keeps two Cypress specs\' tests of the same name apart', () => {
    const [a, b] = ['cypress/e2e/a.cy.js', 'cypress/e2e/b.cy.js'].map(spec => parseJunit(cypress(spec)).results.map(testIdentity))
    expect(a!.filter(id => b!.includes(id))).toEqual([])
  })
})

describe('messages and stacks', () => {
  it('takes the message attribute, and the element text as the stack', () => {
    const r = one('<failure message="expected 1 to be 2" type="AssertionError">AssertionError: expected 1 to be 2\n    at x (a.js:1:1)</failure>')
    expect(r.errorMessage).toBe('expected 1 to be 2')
    expect(r.errorStack).toBe('AssertionError: expected 1 to be 2\n    at x (a.js:1:1)')
  })

  it('falls back to the first non-blank line of the text when there is no message attribute', () => {
    const r = one('<error>\n\n   TypeError: x is undefined\n    at y (b.js:2:2)</error>')
    expect(r.errorMessage).toBe('TypeError: x is undefined')
  })

  it('falls back to the type when there is neither', () => {
    expect(one('<failure type="AssertionError"/>').errorMessage).toBe('AssertionError')
  })

  it('keeps CDATA verbatim (no entity decoding inside it) and joins it with surrounding text', () => {
    const r = one('<failure message="m">before <![CDATA[x < y && a &amp; b]]> after</failure>')
    expect(r.errorStack).toBe('before x < y && a &amp; b after')
  })

  it('puts case-level output on the result and its attempt', () => {
    const r = one('<system-out>hello &lt;world&gt;</system-out><system-err><![CDATA[oops]]></system-err>')
    expect([r.stdout, r.stderr]).toEqual(['hello <world>', 'oops'])
    expect([r.attempts[0]!.stdout, r.attempts[0]!.stderr]).toEqual(['hello <world>', 'oops'])
  })

  it('caps huge output at 64 KiB, keeping head and tail', () => {
    const big = `HEAD${'x'.repeat(200_000)}TAIL`
    const r = one(`<system-out>${big}</system-out>`)
    expect(Buffer.byteLength(r.stdout!)).toBeLessThanOrEqual(64 * 1024)
    expect(r.stdout!.startsWith('HEAD')).toBe(true)
    expect(r.stdout!.endsWith('TAIL')).toBe(true)
    expect(r.stdout).toMatch(/…\[\d+ bytes omitted\]…/)
  })

  it('reads Testmo [[ATTACHMENT|…]] and [[PROPERTY|…]] lines in a test\'s output', () => {
    const r = one('<system-out>log\n[[ATTACHMENT|shots/home page.png]]\n[[PROPERTY|author=Ada]]</system-out>')
    expect(r.attachments).toEqual([{ name: 'home page.png', contentType: null, path: 'shots/home page.png' }])
    expect(r.properties).toEqual({ author: 'Ada' })
  })
})

describe('attributes as writers spell them', () => {
  it.each([
    ['double quotes', '<testcase name="a b" classname="C" time="1"/>'],
    ['single quotes', '<testcase name=\'a b\' classname=\'C\' time=\'1\'/>'],
    ['whitespace around "="', '<testcase name = "a b"\tclassname=\n"C"  time =\'1\' />'],
  ])('%s', (_, tag) => {
    const r = parseJunit(`<testsuite name="S">${tag}</testsuite>`).results[0]!
    expect([r.title, r.suitePath, r.durationMs]).toEqual(['a b', ['S', 'C'], 1000])
  })

  it('reads a value with ">" and the other quote in it, references, and line ends', () => {
    const r = parseJunit('<testsuite name="S"><testcase classname="C" name="x > y \'q\' &amp; &#65;&#x42; &lt;z&gt;"/><testcase name="two\r\nlines&#13;end"/></testsuite>').results
    expect(r.map(x => x.title)).toEqual(['x > y \'q\' & AB <z>', 'two\nlines\rend'])
  })
})

describe('durations', () => {
  it.each([
    ['1.5', 1500], ['0.001', 1], ['1,5', 1500], ['1,234.5', 1234500], ['1.234,5', 1234500], ['12', 12000],
    ['0.0015018', 1.502], ['2.5s', 2500], [' 3 ', 3000],
    ['', null], ['abc', null], ['-1', null], ['NaN', null], ['&lt;&lt;computed&gt;&gt;', null],
    // digits and one point, the form read without the general rules
    ['.5', 500], ['5.', 5000], ['00.250', 250], ['.', null], ['1.2.3', null], ['3000000', null], ['0.000000000000000000001', 0],
  ])('time="%s" → %s ms', (time, ms) => {
    expect(parseJunit(`<testsuite name="S"><testcase name="t" time="${time}"/></testsuite>`).results[0]!.durationMs).toBe(ms)
  })

  it('is null when the attribute is missing', () => {
    expect(parseJunit('<testsuite name="S"><testcase name="t"/></testsuite>').results[0]!.durationMs).toBeNull()
  })

  it.each([
    ['the root says', '<testsuites time="9"><testsuite time="2"><testcase name="a" time="1"/></testsuite></testsuites>', 9000],
    ['a <testsuite> root says', '<testsuite time="4"><testcase name="a" time="1"/></testsuite>', 4000],
    ['the top-level suites say', '<testsuites><testsuite time="2"/><testsuite time="3"><testcase name="a" time="1"/></testsuite></testsuites>', 5000],
    ['only the testcases say, under <testsuites>', '<testsuites><testsuite><testcase name="a" time="0.123"/><testcase name="b" time="0.456"/></testsuite></testsuites>', 579],
    ['only the testcases say, under a <testsuite> root', '<testsuite name="S"><testcase name="a" time="1.5"/><testcase name="b"/></testsuite>', 1500],
    ['only nested testcases say', '<testsuites><testsuite><testsuite><testcase name="a" time="2"/></testsuite></testsuite></testsuites>', 2000],
    ['nothing says', '<testsuites><testsuite><testcase name="a"/></testsuite></testsuites>', null],
  ])('the run\'s duration when %s', (_name, xml, ms) => {
    expect(parseJunit(xml).durationMs).toBe(ms)
  })
})

describe('text encoding', () => {
  it('decodes the five predefined entities and numeric character references, in text and attributes', () => {
    const r = parseJunit('<testsuite name="S"><testcase name="a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x41;&#65;"><failure message="&#x1F600; caf&#233;">x &amp;&amp; y &lt; &#x7A;</failure></testcase></testsuite>').results[0]!
    expect(r.title).toBe('a & b <c> "d" \'e\' éAA')
    expect(r.errorMessage).toBe('😀 café')
    expect(r.errorStack).toBe('x && y < z')
  })

  it.each([
    {
      what: 'in text and attributes, counted by name',
      xml: '<testsuite><testcase name="a&nbsp;b"><failure message="&copy; x">&nbsp;&nbsp;y</failure></testcase></testsuite>',
      title: 'a&nbsp;b', note: '4 references to entities XML does not define (&nbsp; ×3, &copy;) kept as written',
    },
    {
      what: 'once in a top-level suite\'s name, which is read twice (its timing and its tests)',
      xml: '<testsuites><testsuite name="a&nbsp;b"><testcase name="t"/></testsuite></testsuites>',
      title: 't', note: '1 reference to entities XML does not define (&nbsp;) kept as written',
    },
    { what: 'not in CDATA, where & is text', xml: '<testsuite><testcase name="t"><system-out><![CDATA[a &nbsp; b]]></system-out></testcase></testsuite>', title: 't', note: null },
    { what: 'not for the five XML has', xml: '<testsuite><testcase name="&amp;&lt;&gt;&quot;&apos;&#160;x"/></testsuite>', title: '&<>"\'\u00A0x', note: null },
  ])('keeps an entity XML does not define (&nbsp;) as written and says so on the receipt: $what', ({ xml, title, note }) => {
    const report = parseJunit(xml)
    expect(report.results[0]!.title).toBe(title)
    const said = report.warnings.find(w => w.includes('entities XML does not define'))
    if (note) expect(said).toContain(note)
    else expect(said).toBeUndefined()
  })

  it('decodes once: &amp;lt; is the text "&lt;", not "<"', () => {
    expect(parseJunit('<testsuite><testcase name="&amp;lt;"/></testsuite>').results[0]!.title).toBe('&lt;')
  })

  it('reads a UTF-8 BOM, no XML declaration and non-ASCII names', () => {
    const report = parseJunit('\uFEFF<testsuite name="Suíte ✓"><testcase classname="Класс" name="テスト"/></testsuite>')
    expect(report.results[0]!.title).toBe('テスト')
    expect(report.results[0]!.suitePath).toEqual(['Suíte ✓', 'Класс'])
  })

  it('reads a <testsuite> root, single-quoted attributes and comments', () => {
    const report = parseJunit(`<?xml version='1.0'?><!-- c --><testsuite name='S'><!-- <testcase name="commented out"/> --><testcase name='t'/></testsuite>`)
    expect(report.results.map(r => r.title)).toEqual(['t'])
  })
})

describe('entity declarations are refused: XXE and billion laughs', () => {
  it('refuses an external entity without resolving it, and says so', () => {
    const err = parseError(() => parseJunit(fixture('xxe.xml')))
    expect(err.code).toBe('xml_entities_refused')
    expect(err.message).toMatch(/^This XML declares the entity "xxe" in a DOCTYPE \(at line 3, column 3\)\..*refused/)
    expect([err.line, err.column]).toEqual([3, 3])
    expect(err.message).not.toMatch(/root:|\/bin\/(ba)?sh|nologin/)
    let passwd = ''
    try {
      passwd = readFileSync('/etc/passwd', 'utf8')
    }
    catch {
      // no such file here: the regex above still guards the message
    }
    for (const line of passwd.split('\n').filter(l => l.length > 8).slice(0, 5)) expect(err.message).not.toContain(line)
  })

  it('refuses the billion-laughs document at once', () => {
    const started = performance.now()
    const err = parseError(() => parseJunit(fixture('billion-laughs.xml')))
    expect(err.code).toBe('xml_entities_refused')
    expect(err.message).toContain('"lol"')
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('refuses a parameter entity (out-of-band XXE)', () => {
    expect(parseError(() => parseJunit(fixture('parameter-entity-xxe.xml'))).code).toBe('xml_entities_refused')
  })

  it('accepts a DOCTYPE without entity declarations, and the text "<!ENTITY" inside CDATA or a comment', () => {
    const xml = '<!DOCTYPE testsuite SYSTEM "junit.dtd"><testsuite><!-- <!ENTITY a "b"> --><testcase name="t"><failure><![CDATA[<!DOCTYPE x [<!ENTITY y "z">]>]]></failure></testcase></testsuite>'
    const r = parseJunit(xml).results[0]!
    expect(r.errorStack).toBe('<!DOCTYPE x [<!ENTITY y "z">]>')
  })

  it('leaves an undeclared entity reference as written', () => {
    expect(parseJunit('<testsuite><testcase name="a&nbsp;b"/></testsuite>').results[0]!.title).toBe('a&nbsp;b')
  })
})

describe('malformed XML is refused, never salvaged', () => {
  it.each([
    ['empty', '', /^The file is empty \(0 bytes\)\.$/],
    ['whitespace only', '  \n\t', /^The file contains only whitespace \(4 bytes\)/],
    ['truncated', '<?xml version="1.0"?>\n<testsuites>\n  <testsuite name="S">\n    <testcase name="a"/>\n    <testcase name="b"><failure>boo', /^The XML is not well-formed: unclosed tag <failure> at line 5, column 35 .*truncated/],
    ['a single unclosed tag', '<testsuite', /^The XML is not well-formed: unclosed tag <testsuite> at line 1, column 10/],
    ['mismatched close', '<testsuite>\n<testcase name="a"></testsuite>', /^The XML is not well-formed: expected the closing tag <\/testcase> \(opened at line 2, column 1\) but found <\/testsuite> at line 2, column \d+\.$/],
    ['raw < in an attribute', '<testsuite><testcase name="t" time="<<computed>>"/></testsuite>', /^The XML is not well-formed: an attribute value contains a raw "<" at line 1, column 37/],
    ['raw & in an attribute', '<testsuite><testcase name="a & b"/></testsuite>', /^The XML is not well-formed: an attribute value contains a raw "&" at line 1, column 30/],
    ['raw & in text', '<testsuite><testcase name="t"><failure>a & b</failure></testcase></testsuite>', /^The XML is not well-formed: a raw "&" .* at line 1, column \d+\.$/],
    ['text after the root', '<testsuite/>\ngarbage', /^The XML is not well-formed: there is text outside the root element at line 2, column 1\./],
    ['a second root of another vocabulary', '<testsuite name="a"/>\n<html></html>', /^This XML is not a JUnit report: a second root element <html> starts at line 2, column 1; a file may hold several JUnit reports one after another \(cargo test writes one per test binary\), each a <testsuites> or <testsuite>\.$/],
    ['a later report cut short', '<?xml version="1.0"?><testsuites></testsuites>\n<?xml version="1.0"?><testsuites>\n<testsuite name="b">', /^The XML is not well-formed: unclosed tag <testsuite> at line 3, column 20 \(the document ends while <testsuites> › <testsuite> are still open: is the file truncated\?\)\.$/],
    ['a mismatched close in a later report', '<testsuites></testsuites>\n<testsuites>\n<testcase name="a"></testsuites>', /^The XML is not well-formed: expected the closing tag <\/testcase> \(opened at line 3, column 1\) but found <\/testsuites> at line 3, column 20\.$/],
    ['text between two reports', '<testsuite name="a"/>\ngarbage\n<testsuite name="b"/>', /^The XML is not well-formed: there is text outside the root element at line 2, column 1\.$/],
    ['two XML declarations before a report', '<testsuite name="a"/>\n<?xml version="1.0"?><?xml version="1.0"?><testsuite name="b"></testsuite>', /^The XML is not well-formed: the XML declaration \(<\?xml …\?>\) is allowed only at the very start of the file, and this one is at line 2, column 27\.$/],
    ['rustdoc\'s <report> as the only root', '<report total_time="1.5"></report>', /^This XML is not a JUnit report: the root element is <report>, expected <testsuites> or <testsuite>\.$/],
    ['a <report> after a report that holds tests', '<testsuite name="a"/><report><testcase name="t"/></report>', /^This XML is not a JUnit report: the <report> after its JUnit reports \(rustdoc writes one with its timings\) holds a <testcase>; only <testsuites> and <testsuite> hold tests\.$/],
    ['text before the root', 'junk <testsuite/>', /^The XML is not well-formed: there is text outside the root element at line 1, column 1\.$/],
    ['a duplicated attribute', '<testsuite><testcase name="a" name="b"/></testsuite>', /^The XML is not well-formed: attribute 'name' is repeated at line 1/],
    ['not XML at all', 'hello', /^The XML is not well-formed: .* at line 1, column 1\.$/],
    ['another XML vocabulary', '<?xml version="1.0"?><html><body/></html>', /^This XML is not a JUnit report: the root element is <html>, expected <testsuites> or <testsuite>\.$/],
  ])('%s', (_name, xml, message) => {
    expect(parseError(() => parseJunit(xml)).message).toMatch(message)
  })
})

describe('several reports one after another: cargo test writes one JUnit document per test binary', () => {
  it.each([
    // [real report (test/fixtures/rust-ledger/gen.sh), counts, suite paths, why]
    ['cargo-green.xml', { tests: 11, passed: 11, failed: 0, errored: 0, skipped: 0, flaky: 0 }, [['test', 'tests'], ['test', 'tests::parser'], ['test', 'integration'], ['test', 'src/lib.rs']],
      'unit tests, an integration test and doc-tests, each binary its own <?xml?><testsuites>, then rustdoc\'s <report> of its timings'],
    ['cargo-2021-green.xml', { tests: 7, passed: 7, failed: 0, errored: 0, skipped: 0, flaky: 0 }, [['test', 'tests::query_parser'], ['test', 'tests']],
      'the review\'s green run (edition 2021): the unit tests, then an empty document for the doc-tests'],
    ['cargo-failing.xml', { tests: 8, passed: 2, failed: 6, errored: 0, skipped: 0, flaky: 0 }, [['test', 'tests'], ['test', 'tests::parser']],
      'a failing binary ends cargo test: one document, as before'],
    ['cargo-failing-all.xml', { tests: 11, passed: 3, failed: 8, errored: 0, skipped: 0, flaky: 0 }, [['test', 'tests'], ['test', 'tests::parser'], ['test', 'integration'], ['test', 'src/lib.rs']],
      '--no-fail-fast: every binary\'s document, failures in each'],
  ])('%s -> %j', (name, expectedCounts, paths) => {
    const report = parseJunit(fixture(name))
    expect(counts(report)).toEqual(expectedCounts)
    expect([...new Set(report.results.map(r => r.suitePath.join(' › ')))]).toEqual(paths.map(p => p.join(' › ')))
    expect(report.errors).toEqual([])
    expectInvariants(report)
  })

  it('times the run by its testcases, all reports\' together, and keeps their order', () => {
    const report = parseJunit(fixture('cargo-green.xml'))
    const sum = report.results.reduce((ms, r) => ms + r.durationMs!, 0)
    expect(report.durationMs).toBeCloseTo(sum, 3)
    expect(report.results.map(r => r.title).slice(-3)).toEqual(['adds_through_the_api', 'add (line 5)', 'parse_cents (line 14)'])
  })

  it.each([
    ['each with its XML declaration, on its own line', '<?xml version="1.0"?><testsuites><testsuite name="a"><testcase name="x"/></testsuite></testsuites>\n<?xml version="1.0"?><testsuites><testsuite name="b"><testcase name="y"/></testsuite></testsuites>\n'],
    ['bare <testsuite> roots', '<testsuite name="a"><testcase name="x"/></testsuite><testsuite name="b"><testcase name="y"/></testsuite>'],
    ['a comment and blank lines between', '<testsuite name="a"><testcase name="x"/></testsuite>\n\n<!-- next binary -->\n<testsuites><testsuite name="b"><testcase name="y"/></testsuite></testsuites>'],
    ['a report that is not plain (single quotes, an entity) after a plain one', '<testsuite name="a"><testcase name="x"/></testsuite>\n<?xml version=\'1.0\'?>\n<testsuite name = \'b\'><testcase name=\'y\'><system-out>a &amp; b</system-out></testcase></testsuite>'],
  ])('reads reports %s as one report of all their tests', (_name, xml) => {
    expect(parseJunit(xml).results.map(r => [r.suitePath[0], r.title])).toEqual([['a', 'x'], ['b', 'y']])
  })

  it('fails a test that fails in one report and passes in another: two binaries\' tests, not a retry', () => {
    const xml = '<testsuite name="test"><testcase classname="tests" name="t"><failure type="assert"/></testcase></testsuite>\n<testsuite name="test"><testcase classname="tests" name="t"/></testsuite>'
    const results = parseJunit(xml).results
    expect(results.map(testIdentity)).toEqual([testIdentity(results[0]!), testIdentity(results[0]!)])
    const merged = mergeExecutions(results)
    expect([merged.status, merged.flaky]).toEqual(['failed', false])
  })

  it('counts the failures no testcase holds over every report', () => {
    const xml = '<testsuites tests="1"><testsuite name="a"><testcase name="x"/></testsuite></testsuites><testsuites tests="1" errors="2"><testsuite name="b"><testcase name="y"/></testsuite></testsuites>'
    expect(parseJunit(xml).errors.map(e => e.message)).toEqual([expect.stringMatching(/^The report counts 2 errors \(its roots and <testsuite> elements, errors="2" in all\) that no testcase holds/)])
  })

  it('refuses an entity declared before a later report, and reads nothing of the file', () => {
    const xml = '<testsuite name="a"><testcase name="x"/></testsuite>\n<!DOCTYPE testsuite [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<testsuite name="b"><testcase name="&xxe;"/></testsuite>'
    const handed: ParsedResult[] = []
    const err = parseError(() => streamJunit(xml, r => handed.push(r)))
    expect([err.code, err.line]).toEqual(['xml_entities_refused', 2])
    expect(handed).toEqual([])
  })
})

describe('scale', () => {
  function generate(n: number): string {
    const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n']
    for (let s = 0; s < n / 500; s++) {
      parts.push(`<testsuite name="suite ${s}" timestamp="2024-01-01T00:00:00">\n`)
      for (let i = 0; i < 500; i++) {
        const k = s * 500 + i
        if (k % 10 === 0) parts.push(`<testcase classname="C${s}" name="t${k} &amp; co" time="0.01"><failure message="boom ${k}">stack ${k}\n  at x</failure></testcase>\n`)
        else if (k % 25 === 1) parts.push(`<testcase classname="C${s}" name="t${k}"><skipped/></testcase>\n`)
        else parts.push(`<testcase classname="C${s}" name="t${k}" time="0.001"/>\n`)
      }
      parts.push('</testsuite>\n')
    }
    parts.push('</testsuites>\n')
    return parts.join('')
  }

  it('parses a generated 50,000-case report', () => {
    const report = parseJunit(generate(50_000))
    expect(counts(report)).toEqual({ tests: 50_000, passed: 43_000, failed: 5000, errored: 0, skipped: 2000, flaky: 0 })
    expect(report.results[10]!.title).toBe('t10 & co')
    expect(report.results[49_999]!.suitePath).toEqual(['suite 99', 'C99'])
  })
})

describe('hostname: the project of a suite only where the report writes one suite under several', () => {
  const report = (suites: [name: string, hostname: string | null][]) => parseJunit(`<testsuites>${suites.map(([name, host]) =>
    `<testsuite name="${name}"${host == null ? '' : ` hostname="${host}"`}><testcase classname="c" name="t"/></testsuite>`).join('')}</testsuites>`)

  it.each<[[string, string | null][], (string | null)[], string]>([
    // [suites (name, hostname), variant of each result, why]
    [[['a.spec.js', 'chromium'], ['a.spec.js', 'firefox']], ['chromium', 'firefox'], 'Playwright: one file, two projects'],
    [[['a.spec.js', ''], ['a.spec.js', 'firefox']], [null, 'firefox'], 'Playwright\'s unnamed project writes an empty hostname'],
    [[['a.spec.js', 'chromium'], ['a.spec.js', 'firefox'], ['b.spec.js', 'firefox']], ['chromium', 'firefox', 'firefox'],
      'every suite of such a report gets its project, one that ran in one project too'],
    [[['a.spec.js', 'chromium'], ['a.spec.js', 'chromium']], [null, null], 'one hostname is a machine, whatever its name'],
    [[['com.acme.A', 'ci-1'], ['com.acme.B', 'ci-2']], [null, null], 'suites merged from machines that ran different suites'],
    [[['com.acme.A', 'ci-1'], ['com.acme.B', null]], [null, null], 'a suite without one'],
  ])('%j -> %j (%s)', (suites, variants) => {
    expect(report(suites).results.map(r => r.variant)).toEqual(variants)
  })

  it('leaves the identities of a one-machine report as they were without the hostname', () => {
    const ids = (host: string) => parseJunit(`<testsuite name="S"${host}><testcase classname="c" name="t"/></testsuite>`).results.map(testIdentity)
    expect(ids(' hostname="build-agent-7"')).toEqual(ids(''))
  })

  it('reads the projects of a real Playwright JUnit report, and no variant from other writers\' machine names', () => {
    expect(parseJunit(reviewed('pw-real-junit.xml')).results.map(r => r.variant)).toEqual([...Array(10).fill('alpha'), ...Array(10).fill('beta')])
    for (const name of ['go-junit-report.xml', 'vitest4-projects-junit.xml', 'pytest-real.xml']) {
      expect(parseJunit(reviewed(name)).results.every(r => r.variant === null), name).toBe(true)
    }
  })
})

describe('what a testcase says beside its outcome stays on the result page (its stderr)', () => {
  it('reads pytest\'s failed call and teardown error, written as two testcases, as the one test that ran', () => {
    const report = parseJunit(reviewed('pytest-real.xml'))
    expect(counts(report)).toEqual({ tests: 11, passed: 5, failed: 3, errored: 1, skipped: 2, flaky: 0 })
    expectInvariants(report)
    const [failed, teardownOnly] = report.results
    expect(failed).toMatchObject({ title: 'test_fail_and_teardown', status: 'failed', errorMessage: 'assert 1 == 2' })
    expect(failed!.attempts).toHaveLength(1)
    expect(failed!.stderr).toMatch(/^Teardown error: failed on teardown with "RuntimeError: cleanup failed"\n@pytest\.fixture\n[^]*RuntimeError: cleanup failed/)
    expect(failed!.attempts[0]!.stderr).toBe(failed!.stderr)
    // a passing call whose teardown errored is one testcase: an errored test, as pytest counts it
    expect(teardownOnly).toMatchObject({ title: 'test_pass_and_teardown', status: 'errored', stderr: null })
  })

  it.each([
    // [what comes before the teardown error, results, why]
    ['<testcase classname="c" name="u"><failure message="f"/></testcase>', 2, 'another test\'s failure'],
    ['<testcase classname="c" name="t"/>', 2, 'a pass: pytest writes its teardown error into that one testcase'],
  ])('keeps a teardown error after %s as a test of its own (%s results: %s)', (before, results) => {
    const xml = `<testsuite name="s">${before}<testcase classname="c" name="t"><error message="failed on teardown with &quot;E&quot;"/></testcase></testsuite>`
    expect(parseJunit(xml).results).toHaveLength(results)
  })

  it('keeps PHPUnit 9\'s <warning> on a passed test', () => {
    const legacy = parseJunit(reviewed('phpunit9-nested.xml')).results.find(r => r.title === 'testLegacy')!
    expect(legacy.status).toBe('passed')
    expect(legacy.stderr).toBe('Warning: App\\Tests\\Unit\\MoneyTest::testLegacy\nThe "at()" matcher is deprecated. It will be removed in PHPUnit 10.\n\n/app/tests/Unit/MoneyTest.php:47')
    expect(legacy.attempts.map(a => [a.status, a.stderr])).toEqual([['passed', legacy.stderr]])
  })
})

describe('a placeholder message ("Failed") gives way to the line that says what failed', () => {
  const fingerprint = (message: string | null, stack: string | null) => fingerprintFailure({ message, stack })?.fingerprint

  it.each([
    // [real report, test, message shown, why]
    ['go-junit-report.xml', 'TestDiv', 'Div(4, 2) = 3; want 2', 'go-junit-report: the body is the log line, its place left out as gotestsum\'s'],
    ['go-junit-report.xml', 'TestOpen', 'panic: runtime error: invalid memory address or nil pointer dereference [recovered]', 'a panic'],
    ['go-junit-report.xml', '[build failed]', 'broken/broken.go:12:2: undefined: fooBar',
      'go-junit-report\'s "Build error", which every package that did not build says: the compiler\'s first line, its place kept'],
    ['gotestsum-rerun.xml', 'TestFlakyTimeout', 'dial tcp 127.0.0.1:40123: i/o timeout', 'go test -v output: runner lines and the log prefix left out'],
    ['dart-tojunit.xml', 'Calculator divides', '1 failure, see stacktrace for details',
      'Dart\'s placeholder stays: its cluster is keyed on it, and another message would move every such failure'],
  ])('%s %s -> %j (%s)', (name, title, message) => {
    const r = parseJunit(reviewed(name)).results.find(x => x.title === title)!
    expect(r.errorMessage).toBe(message)
    expect(r.attempts.find(a => a.errorMessage)!.errorMessage).toBe(message)
  })

  it.each([
    ['gotestsum-rerun.xml', reviewed('gotestsum-rerun.xml')],
    ['go-junit-report.xml', reviewed('go-junit-report.xml')],
    ['junit/gotestsum__junitxml-report.golden', corpusText('junit/gotestsum__junitxml-report.golden')],
  ])('keeps every failure of %s that says something in the cluster it had', (_name, xml) => {
    const failures = parseJunit(xml).results.filter(r => (r.status === 'failed' || r.status === 'errored') && r.errorMessage)
    expect(failures.filter(r => r.errorMessage !== 'Failed').length).toBeGreaterThan(1)
    for (const r of failures) expect(fingerprint(r.errorMessage, r.errorStack), r.title).toBe(fingerprint('Failed', r.errorStack))
  })

  it('reads the go test log line, not other output, and keeps "Failed" when the log line says only that', () => {
    const failures = parseJunit(corpusText('junit/gotestsum__junitxml-report.golden')).results.filter(r => r.status === 'failed')
    const messages = Object.fromEntries(failures.map(r => [r.title, r.errorMessage]))
    expect(messages).toMatchObject({
      'TestFailedWithStderr': 'also failed', 'TestParallelTheFirst': 'failed the first', 'TestNestedWithFailure/c': 'Failed',
      'TestNestedWithFailure': null, 'TestNestedParallelFailures': null,
    })
  })
})

describe('libtest: a failure that says nothing ("assert") is told by the panic in its test\'s output (cargo test)', () => {
  const failed = (name: string) => new Map(parseJunit(fixture(name)).results.filter(r => r.status === 'failed').map(r => [r.title, r]))

  it.each([
    // [real report (test/fixtures/rust-ledger/gen.sh), test, message, where the stack starts, why]
    ['cargo-failing.xml', 'totals_match', 'assertion `left == right` failed: ledger total drifted\n  left: 4\n right: 5',
      /^thread 'tests::totals_match' \(\d+\) panicked at src\/lib\.rs:36:9:\n/, 'assert_eq! with its message and both values'],
    ['cargo-failing.xml', 'unwrap_on_none', 'called `Option::unwrap()` on a `None` value', /^thread 'tests::parser::unwrap_on_none' \(\d+\) panicked at src\/lib\.rs:54:39:\n/,
      'an unwrap on None'],
    ['cargo-failing.xml', 'unwrap_on_err', 'called `Result::unwrap()` on an `Err` value: ParseIntError { kind: InvalidDigit }', /panicked at src\/lib\.rs:60:36:/,
      'an unwrap on Err, with the error'],
    ['cargo-failing.xml', 'rejects_negative', 'negative amount: -5', /panicked at src\/lib\.rs:66:54:\nnegative amount: -5$/, 'an explicit panic!'],
    ['cargo-failing.xml', 'indexes_lines', 'index out of bounds: the len is 1 but the index is 2', /panicked at src\/lib\.rs:78:26:\n.*\nnote: run with `RUST_BACKTRACE=1`/,
      'an index out of bounds, with the hint libtest prints once'],
    ['cargo-failing.xml', 'refuses_empty', 'test did not panic as expected at src/lib.rs:71:12', null, 'a should_panic test that did not: libtest says it itself'],
    ['cargo-failing-all.xml', 'adds_through_the_api', 'api sum wrong', /^thread 'adds_through_the_api' \(\d+\) panicked at tests\/api\.rs:4:5:\napi sum wrong\nstack backtrace:\n {3}0: /,
      'an integration test\'s assert!, the backtrace (RUST_BACKTRACE=1) in the stack'],
    ['cargo-failing-all.xml', 'parse_cents (line 14)', 'assertion `left == right` failed: doc example drifted\n  left: Some(105)\n right: Some(150)',
      /^thread 'main' \(\d+\) panicked at \/tmp\/rustdoctest\w+\/doctest_bundle_2024\.rs:16:1:/, 'a doc-test: its executable\'s panic, after rustdoc\'s lines'],
  ] as [string, string, string, RegExp | null, string][])('%s %s -> %j (%s)', (name, test, message, stack) => {
    const r = failed(name).get(test)!
    expect(r.errorMessage).toBe(message)
    expect(r.attempts.map(a => a.errorMessage)).toEqual([message])
    if (stack) expect(r.errorStack).toMatch(stack)
    else expect(r.errorStack).toBeNull()
    // the test's output stays as written
    if (stack) expect(r.stdout).toContain(message.split('\n')[0])
  })

  const libtest = (out: string, failure = '<failure type="assert"/>') =>
    parseJunit(`<testsuites><testsuite name="test"><testcase classname="tests" name="t">${failure}<system-out><![CDATA[${out}]]></system-out></testcase></testsuite></testsuites>`).results[0]!

  it.each([
    // real libtest output (cargo 1.95) and older Rust's, as written in the testcase's <system-out>
    ['a panic in a thread the test spawned, before the test\'s own', 'thread \'<unnamed>\' (19751) panicked at src/lib.rs:10:67:\nindex out of bounds: the len is 0 but the index is 3\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\nthread \'tests::spawned\' (19750) panicked at src/lib.rs:11:18:\ncalled `Result::unwrap()` on an `Err` value: Any { .. }',
      'index out of bounds: the len is 0 but the index is 3', 'thread \'<unnamed>\''],
    ['what the test printed before its panic, left out', 'loading fixtures\n\nthread \'tests::t\' (19749) panicked at src/lib.rs:17:11:\nfixture loads: "boom"',
      'fixture loads: "boom"', 'thread \'tests::t\''],
    ['a doc-test that did not compile: rustc\'s first error', 'error[E0308]: mismatched types\n --> src/lib.rs:2:14\n  |\n2 | let x: u32 = "a";\n  |        ---   ^^^ expected `u32`, found `&str`\n\nerror: aborting due to 1 previous error\n\nCouldn\'t compile the test.',
      'error[E0308]: mismatched types', 'error[E0308]'],
    ['Rust before 1.73: the message quoted on the panic\'s line', 'thread \'tests::t\' panicked at \'boom\', src/lib.rs:3:5\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
      'boom', 'thread \'tests::t\' panicked at \'boom\''],
    ['a panic with no message (panic!())', 'thread \'tests::t\' (7) panicked at src/lib.rs:3:5:\nexplicit panic', 'explicit panic', 'thread \'tests::t\''],
  ])('%s', (_name, out, message, stackStart) => {
    const r = libtest(out)
    expect(r.errorMessage).toBe(message)
    expect(r.errorStack!.startsWith(stackStart)).toBe(true)
  })

  it('leaves a failure that says something, and output without a panic, as they were', () => {
    expect(libtest('thread \'tests::t\' (7) panicked at src/lib.rs:3:5:\nboom', '<failure message="test did not panic as expected" type="assert"/>').errorMessage)
      .toBe('test did not panic as expected')
    expect(libtest('just some output').errorMessage).toBe('assert')
    expect(libtest('').errorMessage).toBe('assert')
  })
})

describe('Go reporters: one cause, one cluster, whichever wrote the report (the review\'s real reports)', () => {
  const failuresOf = (name: string) => parseJunit(fixture(name)).results.filter(r => r.status === 'failed' || r.status === 'errored')
  const clusterOf = (r: ParsedResult) =>
    fingerprintFailure({ message: r.errorMessage, stack: r.errorStack, file: r.file })?.fingerprint ?? null
  const byTest = (name: string) => new Map(failuresOf(name).map(r => [r.title, r]))
  const PANIC = 'panic: runtime error: invalid memory address or nil pointer dereference [recovered]'

  it.each([
    ['gojunit-panic.xml', 'gotestsum-panic.xml'],
    ['gojunit-outage.xml', 'gotestsum-outage.xml'],
  ])('%s (go-junit-report) and %s (gotestsum) put each failed test in the same cluster', (a, b) => {
    const [x, y] = [byTest(a), byTest(b)]
    expect([...x.keys()].sort()).toEqual([...y.keys()].sort())
    for (const [test, r] of x) expect(clusterOf(r), test).toBe(clusterOf(y.get(test)!))
  })

  it.each([
    // [report, test, message, why]
    ['gojunit-panic.xml', 'TestParseAmount', PANIC, 'the panic the report wrote in the package\'s output, not "Failed"'],
    ['gotestsum-panic.xml', 'TestParseAmount', PANIC, 'the panic in the failure itself'],
    ['gojunit-panic.xml', 'TestConvert/eur_to_usd', 'rate EUR→USD: got 1.0712, want 1.0800', 'the log line without its place'],
    ['gojunit-panic.xml', 'TestConvert', null, 'a parent that failed because its subtest did has no error of its own'],
    ['gotestsum-panic.xml', 'TestConvert', null, 'the same, its body only go test\'s runner lines'],
    ['gojunit-outage.xml', 'TestTransfer', null, 'the same, three subtests failed'],
    ['gotestsum-panic-parallel.xml', 'TestA', PANIC, 'the test that panicked, after a t.Log line'],
    ['gotestsum-panic-parallel.xml', 'TestB', PANIC, 'a parallel test the panic ended, not the line it had logged'],
    ['gotestsum-panic-subtest.xml', 'TestParse/eur', PANIC, 'a subtest that panicked after a t.Log line'],
    ['gotestsum-panic-subtest.xml', 'TestParse', null, 'its parent, which had logged a line: no error of its own'],
    ['gojunit-outage.xml', 'TestStore_Save', 'save: dial tcp 10.0.0.5:5432: connect: connection refused', 'the wrapped error as written'],
  ] as [string, string, string | null, string][])('%s %s -> %j (%s)', (name, test, message) => {
    const r = byTest(name).get(test)!
    expect(r.status).toBe('failed')
    expect(r.errorMessage).toBe(message)
    expect(clusterOf(r) === null).toBe(message === null)
  })

  it('puts a test a panic ended in the panic\'s cluster, its own output before the panic\'s stack', () => {
    const tests = byTest('gotestsum-panic-parallel.xml')
    expect(clusterOf(tests.get('TestB')!)).toBe(clusterOf(tests.get('TestA')!))
    expect(tests.get('TestB')!.errorStack).toMatch(/^=== RUN {3}TestB\n[^]*par_test\.go:22: parsing order 7710\npanic: runtime error/)
    // a parent that logged keeps what it logged, as its output
    expect(byTest('gotestsum-panic-subtest.xml').get('TestParse')!.stdout).toContain('sub_test.go:10: table of 2 cases')
  })

  it('takes the goroutine stack with the panic, without go test\'s exit line', () => {
    const stack = byTest('gojunit-panic.xml').get('TestParseAmount')!.errorStack!
    expect(stack.split('\n')[0]).toBe(PANIC)
    expect(stack).toContain('/builds/acme/mono/services/ledger/internal/money/parse.go:41 +0x1a')
    expect(stack).not.toContain('exit status')
  })

  it('keys one database outage as one cause whatever wrapped the dial error, with both reporters', () => {
    const failures = [...failuresOf('gojunit-outage.xml'), ...failuresOf('gotestsum-outage.xml')].filter(r => r.errorMessage)
    expect(failures).toHaveLength(22)
    expect(new Set(failures.map(clusterOf)).size).toBe(1)
    expect(fingerprintFailure({ message: failures[0]!.errorMessage, stack: failures[0]!.errorStack })!.title).toBe('dial tcp <host>: connect: connection refused')
  })

  it('gives a panic in the package\'s output to the test its stack runs, not to another that says nothing', () => {
    const xml = suite(['TestA', 'TestB'].map(t => `<testcase classname="p" name="${t}"><failure message="Failed"></failure></testcase>`).join('')
      + '<system-out>panic: boom\n\ngoroutine 7 [running]:\nexample.com/p.TestB(0xc000)\n\t/src/p/b_test.go:9 +0x1d\nexit status 2</system-out>')
    const results = parseJunit(xml).results
    expect(results.map(r => [r.title, r.errorMessage])).toEqual([['TestA', 'Failed'], ['TestB', 'panic: boom']])
  })
})

describe('names cut to their cap', () => {
  it('keeps two long names that differ only in the middle two tests, and a name under the cap as it was', () => {
    const results = parseJunit(reviewed('longnames.xml')).results
    expect(results).toHaveLength(2)
    expect(results[0]!.title).toBe(results[1]!.title)
    expect(testIdentity(results[0]!)).not.toBe(testIdentity(results[1]!))
    expect(one('').titleHash).toBeUndefined()
  })
})

describe('raw NUL characters', () => {
  it('removes them and says how many, once for the file', () => {
    const report = parseJunit(reviewed('nul.xml'))
    expect(report.results.map(r => [r.title, r.errorMessage, r.errorStack])).toEqual([['ab', 'm', 'trace'], ['ok', null, null]])
    expect(report.warnings).toEqual(['3 NUL characters (U+0000), which XML does not allow, were removed from the text.'])
  })
})
