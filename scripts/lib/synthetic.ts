/**
 * Large synthetic reports for benchmarks: realistic shapes (files, classes, failures with stacks, skips,
 * retries) at any size, generated as strings without holding intermediate trees.
 */

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/**
 * How a report's tests end. `red` (the default): 8% failing, 3% skipped, 2% passed on retry, a build with a bad day.
 * `green`: per 1,000 tests, 5 failing, 30 skipped and 3 passed on retry, a usual build of a large suite.
 */
export type JunitMix = 'red' | 'green'

/** A test's outcome bucket for junitReport, 0–99: under 8 fails, under 11 is skipped, under 13 passes on retry. */
function junitBucket(i: number, seed: number, mix: JunitMix): number {
  if (mix === 'red') return (i * 7919 + seed) % 100
  const k = (i * 7919 + seed) % 1000
  return k < 5 ? k : k < 35 ? 8 + (k % 3) : k < 38 ? 11 + (k % 2) : 13 + (k % 87)
}

export function junitReport(n: number, seed = 1, mix: JunitMix = 'red'): string {
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">']
  const perSuite = 50
  for (let s = 0; s < Math.ceil(n / perSuite); s++) {
    parts.push(`<testsuite name="com.example.module${s % 40}.Service${s}Test" timestamp="2026-11-20T10:00:00" time="12.5">`)
    for (let i = s * perSuite; i < Math.min(n, (s + 1) * perSuite); i++) {
      const k = junitBucket(i, seed, mix)
      const head = `<testcase classname="com.example.module${s % 40}.Service${s}Test" name="test case ${i} handles input ${k}" time="0.${String(k).padStart(3, '0')}"`
      if (k < 8) {
        const msg = `expected:<${k}> but was:<${k + 1}>`
        parts.push(`${head}><failure message="${escapeXml(msg)}" type="org.opentest4j.AssertionFailedError">${escapeXml(`org.opentest4j.AssertionFailedError: ${msg}\n\tat com.example.module${s % 40}.Service${s}Test.test${i}(Service${s}Test.java:${40 + k})\n\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)`)}</failure><system-out>request ${i} took ${k} ms</system-out></testcase>`)
      }
      else if (k < 11) parts.push(`${head}><skipped message="disabled on CI"/></testcase>`)
      else if (k < 13) parts.push(`${head}><flakyFailure message="Connection reset" type="java.net.SocketException"><stackTrace>java.net.SocketException: Connection reset\n\tat java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:318)</stackTrace></flakyFailure></testcase>`)
      else parts.push(`${head}/>`)
    }
    parts.push('</testsuite>')
  }
  parts.push('</testsuites>')
  return parts.join('\n')
}

export function playwrightReport(n: number, seed = 1): string {
  const projects = ['chromium', 'firefox']
  const perFile = 40
  const suites: string[] = []
  for (let f = 0; f < Math.ceil(n / perFile / projects.length); f++) {
    const file = `tests/area${f % 30}/feature-${f}.spec.ts`
    const specs: string[] = []
    for (let i = 0; i < perFile; i++) {
      const tests = projects.map((project, p) => {
        const k = ((f * perFile + i) * 7919 + p + seed) % 100
        const base = { workerIndex: p, parallelIndex: p, duration: 800 + k * 13, stdout: [], stderr: [], attachments: [], startTime: '2026-11-20T10:00:00.000Z' }
        const failure = { ...base, status: 'failed', retry: 0, errors: [{ message: `Error: expect(locator).toBeVisible() failed\n\nLocator: getByTestId('item-${k}')\nExpected: visible\nTimeout: 5000ms` }], error: { message: `Error: expect(locator).toBeVisible() failed\n\nLocator: getByTestId('item-${k}')`, stack: `Error: expect(locator).toBeVisible() failed\n    at ${file}:${10 + i}:5` } }
        let status = 'expected'
        let results: object[] = [{ ...base, status: 'passed', retry: 0, errors: [] }]
        if (k < 5) { status = 'unexpected'; results = [failure, { ...failure, retry: 1 }] }
        else if (k < 9) { status = 'flaky'; results = [failure, { ...base, status: 'passed', retry: 1, errors: [] }] }
        else if (k < 12) { status = 'skipped'; results = [{ ...base, status: 'skipped', retry: 0, errors: [] }] }
        return { timeout: 30000, annotations: [], expectedStatus: 'passed', projectId: project, projectName: project, results, status }
      })
      specs.push(JSON.stringify({ title: `scenario ${i} of feature ${f}`, ok: true, tags: [], tests, id: `${f}-${i}`, file, line: 10 + i, column: 3 }))
    }
    suites.push(`{"title":"${file}","file":"${file}","column":0,"line":0,"specs":[${specs.join(',')}]}`)
  }
  return `{"config":{"version":"1.57.0","projects":[{"name":"chromium"},{"name":"firefox"}]},"suites":[${suites.join(',')}],"errors":[],"stats":{"startTime":"2026-11-20T10:00:00.000Z","duration":123456,"expected":0,"skipped":0,"unexpected":0,"flaky":0}}`
}
