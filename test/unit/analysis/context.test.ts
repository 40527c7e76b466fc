import { describe, expect, it } from 'vitest'
import {
  assembleClusterContext, errorVariant, estimateTokens, failingSteps, logExcerpt, pickRepresentatives, signatureSimilarity, trimStack,
} from '../../../server/analysis/context'
import { affected, evidence, result, runStat } from './context.fixtures'

const NODE_STACK = [
  'Error: expect(received).toBe(expected)',
  '    at Object.<anonymous> (/home/runner/work/shop/src/pricing/pricing.test.ts:42:17)',
  '    at Promise.then.completed (/home/runner/work/shop/node_modules/jest-circus/build/utils.js:298:28)',
  '    at new Promise (<anonymous>)',
  '    at callAsyncCircusFn (/home/runner/work/shop/node_modules/jest-circus/build/utils.js:231:10)',
  '    at _callCircusTest (/home/runner/work/shop/node_modules/jest-circus/build/run.js:316:40)',
  '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
].join('\n')

/** A log of `n` lines with an error somewhere in the middle. */
const bigLog = (n: number, errorAt: number) => Array.from({ length: n }, (_, i) => i === errorAt ? 'ERROR payment service returned 502' : `info step ${i} ok ${'x'.repeat(60)}`).join('\n')

describe('assembleClusterContext', () => {
  it('shows the cluster, its errors, affected tests and history, with no omissions when it fits', () => {
    const ctx = assembleClusterContext(evidence({ samples: [result({ errorMessage: 'Error: expect(received).toBe(expected)\n\nExpected: 3\nReceived: 4', errorStack: NODE_STACK })] }))
    expect(ctx.omitted).toEqual([])
    expect(ctx.markdown).toContain('# Failure cluster:')
    expect(ctx.markdown).toContain('## Representative errors (1)')
    expect(ctx.markdown).toContain('## Affected tests (1)')
    expect(ctx.markdown).toContain('## History')
    expect(ctx.markdown).not.toContain('## Omitted')
    expect(ctx.approxTokens).toBe(estimateTokens(ctx.markdown))
    expect(ctx.approxTokens).toBeLessThan(ctx.budgetTokens)
    // library frames folded, the repeated message head dropped
    expect(ctx.data.errors[0]!.stack).toContain('pricing.test.ts:42:17')
    expect(ctx.data.errors[0]!.stack).toContain('library frames')
    expect(ctx.data.errors[0]!.stack).not.toContain('jest-circus')
    expect(ctx.data.errors[0]!.stack).not.toContain('Error: expect(received)')
  })

  it('folds repeated lines', () => {
    const ctx = assembleClusterContext(evidence({ samples: [result({ errorMessage: `Error: retry failed\n${'  - retrying click action\n'.repeat(25)}done` })] }))
    expect(ctx.data.errors[0]!.message).toBe('Error: retry failed\n  - retrying click action\n[… the same line 24 more times]\ndone')
  })

  it('does not repeat a stack two errors share', () => {
    const samples = [
      result({ errorMessage: 'Error: expect(received).toBe(expected)', errorStack: NODE_STACK }),
      result({ errorMessage: 'Error: expect(received).toBe(expected)', errorStack: NODE_STACK.replace(':42:17', ':43:9') }),
    ]
    const ctx = assembleClusterContext(evidence({ samples }))
    expect(ctx.data.errors[1]!.sameStackAs).toBe(0)
    expect(ctx.data.errors[1]!.stack).toBeNull()
    expect(ctx.markdown).toContain('Stack: same as error 1.')
  })

  it('keeps within the budget by cutting the least useful evidence first, and says what it cut', () => {
    const samples = [0, 1, 2].map(i => result({
      errorMessage: `Error: payment failed ${i}\n${Array.from({ length: 60 }, (_, k) => `detail line ${k}`).join('\n')}`,
      errorStack: NODE_STACK,
      stdout: bigLog(2000, 1500),
      stderr: bigLog(500, 420),
      steps: [{ title: 'open checkout', status: 'passed' }, { title: 'pay', status: 'failed', error: 'Error: payment failed' }],
    }))
    const tests = Array.from({ length: 40 }, (_, i) => affected({ test: `suite › test number ${i} with a fairly long descriptive title`, occurrences: 40 - i }))
    const runs = Array.from({ length: 20 }, () => runStat())
    const days = Array.from({ length: 30 }, (_, i) => ({ day: `2026-10-${String(i + 1).padStart(2, '0')}`, occurrences: i + 1 }))
    const ev = evidence({ samples, affectedTests: tests.slice(0, 20), affectedTestsTotal: 40, runs, runsTotal: 55, days })

    const roomy = assembleClusterContext(ev, { budgetTokens: 32_000 })
    const tight = assembleClusterContext(ev, { budgetTokens: 6000 })
    const tiny = assembleClusterContext(ev, { budgetTokens: 1500 })
    expect(roomy.approxTokens).toBeLessThanOrEqual(32_000)
    expect(tight.approxTokens).toBeLessThanOrEqual(6000)
    expect(tiny.approxTokens).toBeLessThanOrEqual(1500)
    expect(tight.approxTokens).toBeGreaterThan(3000) // the budget is used, not thrown away

    // the fixed caps are said even when roomy
    expect(roomy.omitted).toContain('20 of 40 affected tests not listed (the most frequent are shown).')
    expect(roomy.omitted).toContain('43 of 55 runs with this failure not listed (newest and infrastructure runs shown).')
    // tighter budgets cut more, and every cut is listed in the markdown too
    expect(tight.omitted).toContain('stdout/stderr shown as 12-line excerpts around the error; the full logs are stored with each result.')
    expect(tiny.omitted).toContain('stdout/stderr excerpts left out for the budget.')
    expect(tiny.omitted.some(o => /representative errors? not shown/.test(o))).toBe(true)
    for (const o of tiny.omitted) expect(tiny.markdown).toContain(o)
    // the most important evidence survives: at least one error with its message and a cited result
    expect(tiny.data.errors.length).toBeLessThan(roomy.data.errors.length)
    expect(tiny.markdown).toContain(samples[0]!.resultId)
    expect(tiny.markdown).toContain('Error: payment failed')
    // log excerpts are taken around the error line, not the head of the log
    const stdout = roomy.data.errors[0]!.logs.find(l => l.stream === 'stdout')!
    expect(stdout.text).toContain('ERROR payment service returned 502')
    expect(stdout.fromLine).toBeGreaterThan(1400)
    expect(stdout.totalLines).toBe(2000)
  })

  it('redacts secrets everywhere and counts them', () => {
    const key = `pd_${'ab'.repeat(32)}`
    const ev = evidence({
      samples: [result({
        errorMessage: `Error: request failed\nAuthorization: Bearer ${'k9'.repeat(12)}\nuser: ada@example.com`,
        stdout: `connecting to postgres://app:pa55word@db:5432/app\nusing ${key}\nERROR boom`,
        steps: [{ title: 'login as ada@example.com', status: 'failed', error: 'token=abc123secret rejected' }],
      })],
    })
    ev.cluster.statusNote = 'rotated the key ghp_R4nd0mL00k1ngT0k3nV4lu3F0rT3st1ng12'
    const ctx = assembleClusterContext(ev, { secrets: ['my-provider-key-123'] })
    const all = `${ctx.markdown}\n${JSON.stringify(ctx.data)}`
    for (const secret of ['k9k9k9k9k9k9', 'ada@example.com', 'pa55word', key, 'abc123secret', 'ghp_R4nd0m']) expect(all).not.toContain(secret)
    expect(ctx.data.redactions).toMatchObject({ 'authorization': 1, 'email': 2, 'url-password': 1, 'api-key': 2, 'token': 1 })
    expect(ctx.markdown).toMatch(/_Secrets redacted: .*authorization/)
  })

  it('describes the first failure, the last green run and the commits between', () => {
    const s = result()
    const ctx = assembleClusterContext(evidence({
      samples: [s],
      firstFailure: {
        run: { runId: s.runId, branch: 'main', commit: 'c'.repeat(40), commitMessage: 'feat: new checkout button', startedAt: s.at, buildUrl: null },
        lastGreenRun: { runId: 'r-green', branch: 'main', commit: 'a'.repeat(40), commitMessage: 'chore: bump deps', startedAt: '2026-11-18T10:00:00.000Z', buildUrl: null },
        commits: [
          { sha: 'b'.repeat(40), message: 'refactor: cart', runId: 'r-b', at: '2026-11-18T12:00:00.000Z' },
          { sha: 'c'.repeat(40), message: 'feat: new checkout button', runId: s.runId, at: s.at },
        ],
      },
    }))
    expect(ctx.markdown).toContain('## First failure and what changed')
    expect(ctx.markdown).toContain(`- First failure: run ${s.runId} on main @ cccccccccc "feat: new checkout button"`)
    expect(ctx.markdown).toContain('Last green run of these tests on that branch before it: run r-green on main @ aaaaaaaaaa')
    expect(ctx.markdown).toContain('bbbbbbbbbb "refactor: cart"')
    expect(ctx.data.firstFailure?.commitsTotal).toBe(2)
  })

  it('lists similar resolved clusters with their notes, and infrastructure runs', () => {
    const ctx = assembleClusterContext(evidence({
      runs: [runStat({ runId: 'run-infra', executed: 60, failing: 51, infra: true }), runStat({ runId: 'run-ok' })],
      runsTotal: 2,
      infraHits: 1,
      similarResolved: [{ clusterId: 'old', title: 'Error: connect ECONNREFUSED 127.0.0.1:5432', status: 'resolved', note: 'Postgres service container started too late; added a health check.', similarity: 0.9, lastSeenAt: '2026-09-01T00:00:00.000Z', diagnosisSummary: null }],
    }))
    expect(ctx.markdown).toContain('run-infra 2026-11-19 main 1 hit, 51/60 failing (most of the suite failed)')
    expect(ctx.markdown).toContain('1 of the 1 occurrences were an outage\'s, in runs where most of the suite failed or in a shard or job that failed by itself (1 listed above).')
    expect(ctx.markdown).toContain('note: Postgres service container started too late; added a health check.')
  })
})

describe('helpers', () => {
  it('errorVariant masks volatile parts but keeps the words', () => {
    expect(errorVariant('Error: connect ECONNREFUSED 127.0.0.1:54321')).toBe(errorVariant('Error: connect ECONNREFUSED 127.0.0.1:61000'))
    expect(errorVariant('worker 3f1c2b9a-1d2e-4f5a-8b9c-0d1e2f3a4b5c did not respond within 45s')).toBe(errorVariant('worker 0d1e2f3a-1d2e-4f5a-8b9c-3f1c2b9a4b5c did not respond within 90s'))
    expect(errorVariant(`expected 'paid' to equal 'pending'`)).not.toBe(errorVariant(`expected 'paid' to equal 'refunded'`))
    expect(errorVariant('Timeout 5000ms exceeded.\nCall log:\n  - waiting for x')).toBe('Timeout #ms exceeded.')
  })

  it('pickRepresentatives prefers distinct variants, then other tests, then the first occurrence', () => {
    const c = (resultId: string, testCaseId: string, message: string, at: string) => ({ resultId, testCaseId, message, at })
    const picked = pickRepresentatives([
      c('r1', 't1', 'Expected: 1 Received: 2', '2026-11-01'),
      c('r2', 't1', 'Expected: 1 Received: 2', '2026-11-05'),
      c('r3', 't2', 'Expected: 1 Received: 2', '2026-11-04'),
      c('r4', 't1', 'TypeError: x is undefined', '2026-11-03'),
    ])
    expect(picked).toEqual(['r2', 'r4', 'r3'])
    expect(pickRepresentatives([c('a', 't', 'm', '2026-11-02'), c('b', 't', 'm', '2026-11-01')])).toEqual(['a', 'b'])
  })

  it('trimStack folds library frames of several languages and caps the rest', () => {
    const java = 'org.opentest4j.AssertionFailedError: boom\n\tat org.junit.jupiter.api.AssertionUtils.fail(AssertionUtils.java:55)\n\tat com.acme.billing.TaxTest.vat(TaxTest.java:57)\n\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)'
    expect(trimStack(java, 'boom', 15)).toBe('org.opentest4j.AssertionFailedError: boom\n    … 1 library frame\n\tat com.acme.billing.TaxTest.vat(TaxTest.java:57)\n    … 1 library frame')
    const python = 'tests/test_registry.py:41: in test_push\n    url = os.environ[\'X\']\n/usr/lib/python3.12/os.py:679: in __getitem__\n    raise KeyError(key) from None\nE   KeyError: \'X\''
    expect(trimStack(python, 'KeyError: \'X\'', 15)).toContain('tests/test_registry.py:41: in test_push')
    const many = Array.from({ length: 30 }, (_, i) => `    at fn${i} (/app/src/f${i}.ts:1:1)`).join('\n')
    expect(trimStack(many, '', 5)!.split('\n')).toHaveLength(6)
    expect(trimStack(many, '', 5)).toContain('… 25 more frames')
  })

  it('failingSteps returns the innermost failing step paths', () => {
    expect(failingSteps([
      { title: 'Before hooks', status: 'passed' },
      { title: 'checkout', status: 'failed', steps: [{ title: 'fill card', status: 'passed' }, { title: 'click pay', status: 'failed', error: 'TimeoutError: locator.click: Timeout 5000ms exceeded.\nCall log:' }] },
    ])).toEqual(['checkout › click pay: TimeoutError: locator.click: Timeout 5000ms exceeded.'])
  })

  it('logExcerpt falls back to the tail when nothing looks like an error', () => {
    const e = logExcerpt(Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n'), 'stdout', 'boom', 10)!
    expect([e.fromLine, e.toLine, e.totalLines]).toEqual([91, 100, 100])
    expect(logExcerpt('', 'stdout', 'boom', 10)).toBeNull()
  })

  it('signatureSimilarity: same words and type are similar, unrelated are not', () => {
    const a = { title: 'Error: connect ECONNREFUSED 127.0.0.1:<port>', errorType: 'Error', locator: null }
    expect(signatureSimilarity(a, { ...a, title: 'Error: connect ECONNREFUSED localhost:<port>' })).toBeGreaterThan(0.6)
    expect(signatureSimilarity(a, { title: 'expected <v> to equal <v>', errorType: 'AssertionError', locator: null })).toBeLessThan(0.2)
  })
})
