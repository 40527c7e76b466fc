import { describe, expect, it } from 'vitest'
import { commentJob, commentMarker, commentTarget, nextLink } from '../../../cli/lib/comment.mjs'
import { COMMENT_LIMIT, escapeMarkdown, renderReceipt, renderSummary } from '../../../cli/lib/summary.mjs'
import type { IngestReceipt, ReceiptFailedTest, ReceiptFailureGroup, UploadOutage } from '#shared/types/ingest'

const BASE = 'https://pd.example'
const SHA = 'c'.repeat(40)

function receipt(over: Partial<IngestReceipt> = {}): IngestReceipt {
  return {
    runId: 'r1', runNumber: 1, url: `${BASE}/runs/r1`, project: 'web', projectId: 'p1', status: 'passed', branch: 'feat/pay', commit: SHA, runKey: 'k',
    counts: { tests: 0, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 }, format: 'junit', files: [],
    merged: { shards: 1, duplicates: [] }, rejected: [], errors: [], newClusters: [], newlyFlaky: [],
    failures: { blocking: [], quarantined: [], counts: { blocking: 0, quarantined: 0 } },
    failureGroups: { defaultBranch: 'main', novelty: { new: 0, known: 0 }, groups: [], more: { groups: 0, failures: 0 } },
    ...over,
  }
}

const test = (id: string, title: string, over: Partial<ReceiptFailedTest> = {}): ReceiptFailedTest =>
  ({ testCaseId: id, title, variant: null, url: `${BASE}/tests/${id}`, quarantined: false, known: false, ...over })

const cluster = (id: string, title: string, tests: ReceiptFailedTest[], over: Partial<ReceiptFailureGroup> = {}): ReceiptFailureGroup =>
  ({ clusterId: id, title, category: 'assertion', url: `${BASE}/clusters/${id}`, failures: tests.length, flaky: 0, newCause: false, tests, more: 0, ...over })

const twoCauses = receipt({
  status: 'failed',
  counts: { tests: 20, passed: 15, failed: 4, errored: 1, skipped: 0, flaky: 1 },
  failureGroups: {
    defaultBranch: 'main', novelty: { new: 2, known: 2 }, more: { groups: 0, failures: 0 },
    groups: [
      cluster('c1', 'TimeoutError: waiting for locator("#pay")', [
        test('t1', 'checkout pays', { variant: 'firefox' }), test('t2', 'checkout refunds', { known: true }),
        test('t3', 'search is fast', { quarantined: true }),
      ], { category: 'timeout', newCause: true }),
      cluster('c2', 'expected 200, got 500', [test('t4', 'login works', { known: true }), test('t5', 'signup works')]),
    ],
  },
  failures: {
    blocking: [], quarantined: [{ testCaseId: 't3', title: 'search is fast', variant: null, reason: 'vendor sandbox', url: `${BASE}/tests/t3` }],
    counts: { blocking: 4, quarantined: 1 },
  },
  newlyFlaky: [{ testCaseId: 't9', title: 'cart badge updates', score: 0.42, url: `${BASE}/tests/t9` }],
  rejected: [{ item: 'junit.xml: a test', reason: 'it has no name' }],
})

/** 600 failures in 40 causes of 15 tests each, with long titles: the caps and the limit have to hold. */
const huge = receipt({
  status: 'failed',
  counts: { tests: 700, passed: 100, failed: 600, errored: 0, skipped: 0, flaky: 0 },
  failureGroups: {
    defaultBranch: 'main', novelty: { new: 600, known: 0 }, more: { groups: 20, failures: 300 },
    groups: Array.from({ length: 20 }, (_, g) => cluster(`c${g}`, `Error ${g}: ${'x'.repeat(400)}`,
      Array.from({ length: 8 }, (_, i) => test(`t${g}-${i}`, `test ${g}/${i} ${'long title '.repeat(40)}`)), { failures: 15, more: 7 })),
  },
  failures: { blocking: [], quarantined: [], counts: { blocking: 600, quarantined: 0 } },
  newlyFlaky: Array.from({ length: 30 }, (_, i) => ({ testCaseId: `f${i}`, title: `flaky ${i}`, score: 0.5, url: `${BASE}/tests/f${i}` })),
  errors: Array.from({ length: 30 }, (_, i) => `Error: worker ${i} crashed\n    at x`),
})

describe('a flaky cause in the summary', () => {
  const flakyCause = (flaky: number | undefined) => renderSummary(receipt({
    status: 'failed',
    failureGroups: {
      defaultBranch: 'main', novelty: { new: 1, known: 0 }, more: { groups: 0, failures: 0 },
      groups: [cluster('c1', 'expected <n> but was <n>', [test('t1', 'rounds half up [4]')], { category: 'flaky', flaky }) as ReceiptFailureGroup],
    },
  }))

  it('says a flaky cause whose failures here all failed for good is flaky elsewhere (a review waved a regression through)', () => {
    expect(flakyCause(0)).toContain('· flaky elsewhere, failed for good here · 1 failure')
  })

  it('says flaky when a test of the cause passed on retry here too, and as it is from a server that does not count them', () => {
    expect(flakyCause(1)).toContain('· flaky · 1 failure')
    expect(flakyCause(undefined)).toContain('· flaky · 1 failure')
  })
})

/** An upload of the run that was an outage by itself (the receipt's `outages`). */
const outage = (over: Partial<UploadOutage> = {}): UploadOutage => ({
  upload: 'u2', thisUpload: true, shard: '2/4', job: 'e2e', executed: 10, failed: 10, cause: 'network', causeFailures: 10,
  error: 'Error: connect ECONNREFUSED 127.0.0.1:5432', ...over,
})

describe('renderReceipt', () => {
  it.each([
    ['this upload', [outage()], ['  this upload was an outage: 10 of 10 tests failed on Error: connect ECONNREFUSED 127.0.0.1:5432; left out of flakiness']],
    ['another shard, its cause fewer than its failures', [outage({ thisUpload: false, failed: 12, executed: 14, causeFailures: 8 })],
      ['  shard 2/4 of e2e was an outage: 12 of 14 tests failed, 8 of them on Error: connect ECONNREFUSED 127.0.0.1:5432; left out of flakiness']],
    ['a job without shards, and an upload that said neither', [outage({ thisUpload: false, shard: null }), outage({ thisUpload: false, shard: null, job: null })],
      ['  job e2e was an outage: 10 of 10', '  an upload of this run was an outage: 10 of 10']],
  ] as const)('says which upload was an outage and what it failed with: %s', (_name, outages, lines) => {
    const text = renderReceipt(receipt({ status: 'failed', outages: [...outages] }))
    for (const line of lines) expect(text).toContain(line)
  })

  it('says nothing of outages when no upload was one', () => {
    expect(renderReceipt(receipt())).not.toContain('outage')
  })

  it('lists a build\'s first ten report files and counts the rest (a Gradle build writes one per test class)', () => {
    const files = Array.from({ length: 320 }, (_, i) => ({ name: `TEST-Service${i}Test.xml`, format: 'junit' as const, results: 5, status: 'ingested' as const }))
    const text = renderReceipt(receipt({ files }))
    expect(text.split('\n').filter(l => l.startsWith('  stored:'))).toHaveLength(10)
    expect(text).toContain('  …and 310 more files (1,550 results)')
  })
})

describe('a JVM test in a comment', () => {
  it('is named with its class, as the dashboard names it: two modules\' contextLoads() read apart', () => {
    const md = renderSummary(receipt({
      status: 'failed',
      failureGroups: {
        defaultBranch: 'main', novelty: { new: 1, known: 0 }, more: { groups: 0, failures: 0 },
        groups: [cluster('c1', 'Failed to load ApplicationContext', [test('t1', 'contextLoads()', { name: 'ApplicationTests › contextLoads()' })])],
      },
    }))
    expect(md).toContain(`- [ApplicationTests › contextLoads\\(\\)](${BASE}/tests/t1) — 🆕 **new**`)
  })
  it('is named newly flaky as the lists name it, not by its whole suite path; an older server\'s label as it is', () => {
    const r = receipt({
      newlyFlaky: [
        { testCaseId: 't2', title: 'com.acme.orders.RefundServiceTest › refundsOrder() [linux]', name: 'RefundServiceTest › refundsOrder()', variant: 'linux', score: 0.42, url: `${BASE}/tests/t2` },
        { testCaseId: 't3', title: 'pytest › tests.test_payments › test_charge', score: 0.3, url: `${BASE}/tests/t3` },
      ],
    })
    expect(renderSummary(r)).toContain(`- [RefundServiceTest › refundsOrder\\(\\) \\[linux\\]](${BASE}/tests/t2) (score 0.42)`)
    expect(renderSummary(r)).toContain(`- [pytest › tests.test\\_payments › test\\_charge](${BASE}/tests/t3) (score 0.30)`)
    expect(renderReceipt(r)).toContain('  newly flaky: RefundServiceTest › refundsOrder() [linux]\n  newly flaky: pytest › tests.test_payments › test_charge')
  })
})

describe('a sharded run not all in', () => {
  const partial = receipt({
    counts: { tests: 30, passed: 30, failed: 0, errored: 0, skipped: 0, flaky: 0 },
    shards: { expected: 4, received: 1, missing: [2, 3, 4] },
  })

  it('reads "passing so far", never ✅, and names the shards not uploaded', () => {
    const md = renderSummary(partial)
    expect(md).toContain('### ⏳ Proofdeck: web #1 passing so far · 1 of 4 shards uploaded')
    expect(md).not.toContain('✅')
    expect(md).toContain('> ⏳ Not uploaded yet: shards 2, 3 and 4. These counts are of the shards uploaded')
    expect(renderReceipt(partial)).toContain('  shards: 1 of 4 uploaded; not yet shards 2, 3 and 4 (the counts are of the shards uploaded)')
    // the terminal's first line too (a review read "web: run #1 passed" above it)
    expect(renderReceipt(partial).split('\n')[0]).toBe('web: run #1 passing so far — 30 tests: 30 passed, 0 failed, 0 errored, 0 skipped')
    expect(renderReceipt(receipt({ status: 'failed', shards: { expected: 3, received: 2, missing: [3] } })).split('\n')[0]).toMatch(/^web: run #1 failed — /)
  })

  it('a failure stays ❌ while shards are missing; one missing shard, and more than a receipt lists, are counted', () => {
    expect(renderSummary(receipt({ status: 'failed', shards: { expected: 3, received: 2, missing: [3] } })))
      .toContain('### ❌ Proofdeck: web #1 failed · 2 of 3 shards uploaded\n\n| Tests')
    expect(renderSummary(receipt({ status: 'failed', shards: { expected: 3, received: 2, missing: [3] } }))).toContain('Not uploaded yet: shard 3.')
    const many = receipt({ shards: { expected: 40, received: 10, missing: Array.from({ length: 20 }, (_, i) => i + 11) } })
    expect(renderSummary(many)).toContain('Not uploaded yet: shards 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30 and 10 more.')
  })

  it('jobs that share the run: each job\'s missing shards by its name; a job all in is not named', () => {
    const jobs = receipt({
      shards: { expected: 6, received: 3, missing: ['api 1/3', 'api 3/3', 'e2e 2/3'], jobs: [
        { job: 'api', expected: 3, received: 1, missing: [1, 3] }, { job: 'e2e', expected: 3, received: 2, missing: [2] },
        { job: 'unit', expected: 2, received: 2, missing: [] },
      ] },
    })
    const md = renderSummary(jobs)
    expect(md).toContain('### ⏳ Proofdeck: web #1 passing so far · 3 of 6 shards uploaded\n')
    expect(md).toContain('> ⏳ Not uploaded yet: shards 1 and 3 of api and shard 2 of e2e. These counts are of the shards uploaded')
    expect(renderReceipt(jobs)).toContain('  shards: 3 of 6 uploaded; not yet shards 1 and 3 of api and shard 2 of e2e (the counts are of the shards uploaded)')
    // uploads that named no job beside a job's: their shards by number
    const mixed = receipt({ status: 'failed', shards: { expected: 4, received: 2, missing: [2, 'e2e 1/2'], jobs: [
      { job: null, expected: 2, received: 1, missing: [2] }, { job: 'e2e', expected: 2, received: 1, missing: [1] },
    ] } })
    expect(renderSummary(mixed)).toContain('### ❌ Proofdeck: web #1 failed · 2 of 4 shards uploaded\n')
    expect(renderSummary(mixed)).toContain('Not uploaded yet: shard 2 of the uploads that named no job and shard 1 of e2e.')
  })

  it('all shards in: the plain status', () => {
    const md = renderSummary(receipt({ shards: { expected: 2, received: 2, missing: [] } }))
    expect(md).toContain('### ✅ Proofdeck: web #1 passed\n')
    expect(md).not.toContain('⏳')
  })
})

describe('renderSummary', () => {
  it.each([
    ['an empty run: status and counts, no failure sections', receipt({ status: 'empty' }),
      ['### ⚪ Proofdeck: web #1 empty', '| 0 | 0 | 0 | 0 | 0 | 0 |', `[Open the run in Proofdeck](${BASE}/runs/r1) · \`feat/pay\` · \`ccccccc\``],
      ['Failed tests', 'Quarantined', 'Newly flaky', 'Rejected']],
    ['all passed', receipt({ counts: { tests: 12, passed: 12, failed: 0, errored: 0, skipped: 0, flaky: 0 } }),
      ['### ✅ Proofdeck: web #1 passed', '| 12 | 12 | 0 | 0 | 0 | 0 |'], ['Failed tests', '#### ']],
    ['the run number when the server gives one', receipt({ runNumber: 1234, counts: { tests: 1, passed: 1, failed: 0, errored: 0, skipped: 0, flaky: 0 } }),
      ['### ✅ Proofdeck: web #1234 passed'], ['Failed tests']],
    ['failures in two causes: linked, new or already failing, quarantined apart', twoCauses, [
      '### ❌ Proofdeck: web #1 failed',
      'Failed tests: **2 new** · 2 already failing or flaky on `main` · 1 quarantined',
      '#### Failed tests by cause',
      `**[TimeoutError: waiting for locator\\("\\#pay"\\)](${BASE}/clusters/c1)** · timeout · 3 failures · 🆕 new cause`,
      `- [checkout pays \\[firefox\\]](${BASE}/tests/t1) — 🆕 **new**`,
      `- [checkout refunds](${BASE}/tests/t2) — already failing or flaky on \`main\``,
      '- 1 quarantined test (below)',
      `**[expected 200, got 500](${BASE}/clusters/c2)** · assertion · 2 failures`,
      `- [login works](${BASE}/tests/t4) — already failing or flaky on \`main\``,
      `- [signup works](${BASE}/tests/t5) — 🆕 **new**`,
      '#### Quarantined (1, not blocking)',
      `- [search is fast](${BASE}/tests/t3) — vendor sandbox`,
      '#### Newly flaky',
      `- [cart badge updates](${BASE}/tests/t9) (score 0.42)`,
      '#### Rejected',
      '- junit.xml: a test: it has no name',
    ], ['already failing or flaky on `main`\n- [search is fast]']],
    ['an outage: said first, before the tests read as new failures', receipt({
      status: 'failed', infrastructure: true, counts: { tests: 60, passed: 5, failed: 53, errored: 0, skipped: 2, flaky: 0 },
    }), ['### ❌ Proofdeck: web #1 failed\n\n| Tests', '> ⚠️ **Infrastructure failure:** 53 of 58 executed tests failed at once.'], []],
    ['an outage whose job was retried: its tests that passed on the retry count as failed at once', receipt({
      status: 'passed', infrastructure: true, counts: { tests: 29, passed: 29, failed: 0, errored: 0, skipped: 0, flaky: 20 },
    }), ['> ⚠️ **Infrastructure failure:** 20 of 29 executed tests failed at once (20 of them passed on a retry).'], []],
    ['no outage line on a run that is not one', twoCauses, [], ['Infrastructure failure', 'Outage in']],
    ['a shard that was an outage by itself: this upload', receipt({ status: 'failed', outages: [outage()] }),
      ['> ⚠️ **Outage in shard 2/4 of `e2e` (this upload):** 10 of 10 tests failed on `Error: connect ECONNREFUSED 127.0.0.1:5432`.'], ['Infrastructure failure']],
    ['the run\'s other uploads that were one, and one that said no shard nor job', receipt({
      status: 'failed', outages: [outage({ thisUpload: false }), outage({ thisUpload: false, shard: null, job: null, failed: 12, executed: 14, causeFailures: 8 })],
    }), ['> ⚠️ **Outage in shard 2/4 of `e2e`:** 10 of 10 tests failed', '>\n> ⚠️ **Outage in an upload of this run:** 12 of 14 tests failed, 8 of them on `'], []],
    ['the outage of a whole run\'s only upload: said after the run\'s', receipt({
      status: 'failed', infrastructure: true, counts: { tests: 12, passed: 1, failed: 11, errored: 0, skipped: 0, flaky: 0 },
      outages: [outage({ shard: null, job: null, executed: 12, failed: 11, causeFailures: 11 })],
    }), ['at once. Look at the environment (services, network, setup) before the tests; this run is left out of flakiness.\n\n> ⚠️ **Outage in this upload:** 11 of 12 tests failed'], []],
  ])('%s', (_name, r, present, absent) => {
    const md = renderSummary(r)
    for (const text of present) expect(md).toContain(text)
    for (const text of absent) expect(md.includes(text) ? text : null).toBeNull()
  })

  it('lists a quarantined failure once, in its own section', () => {
    expect(renderSummary(twoCauses).split('search is fast').length - 1).toBe(1)
  })

  it('names a quarantined test\'s configuration: a webkit-only quarantine is not the test in every browser', () => {
    const [q] = twoCauses.failures!.quarantined
    const webkit = { ...twoCauses, failures: { ...twoCauses.failures!, quarantined: [{ ...q!, variant: 'webkit' }] } }
    expect(renderSummary(webkit)).toContain(`- [search is fast \\[webkit\\]](${BASE}/tests/t3) — vendor sandbox`)
  })

  it('keeps 600 failures in 40 causes readable and under GitHub\'s comment limit, saying how many it left out', () => {
    const md = renderSummary(huge)
    expect(md.length).toBeLessThan(COMMENT_LIMIT)
    expect(md).toContain('Failed tests: **600 new** · 0 already failing or flaky on `main`')
    expect(md).toMatch(/…and \d+ more causes \(\d+ failures\): \[all on the run page\]\(https:\/\/pd\.example\/runs\/r1\)/)
    expect(md).toMatch(/- …and \d+ more\n/)
    expect(md).toContain('[Open the run in Proofdeck]')
    // every cause is named or counted: shown + left out = 40
    const shown = md.match(/^\*\*\[Error /gm)!.length
    expect(shown + Number(md.match(/…and (\d+) more causes/)![1])).toBe(40)
    // a tiny limit still ends with the way to the whole run
    const cut = renderSummary(huge, 1500)
    expect(cut.length).toBeLessThan(1500)
    expect(cut).toContain('[the run](https://pd.example/runs/r1) has everything')
  })

  it('a server without failure groups still gets its counts and new clusters', () => {
    const { failureGroups: _, failures: __, ...old } = receipt({ newClusters: [{ id: 'c', title: 'TimeoutError', category: 'timeout', occurrences: 2 }] })
    const md = renderSummary(old as IngestReceipt)
    expect(md).toContain('**New failure clusters**')
    expect(md).toContain('- TimeoutError (timeout, 2×)')
  })
})

describe('escapeMarkdown', () => {
  it.each([
    ['a [link](x) and *stars*', 'a \\[link\\]\\(x\\) and \\*stars\\*'],
    ['<!-- proofdeck:web --> <img src=x>', '\\<\\!-- proofdeck:web --\\> \\<img src=x\\>'],
    ['ping @team | a cell', 'ping @\u2060team \\| a cell'],
    ['two\nlines', 'two lines'],
    ['x'.repeat(200), `${'x'.repeat(149)}…`],
  ])('%s', (text, expected) => {
    expect(escapeMarkdown(text)).toBe(expected)
  })
})

describe('commentTarget', () => {
  it.each([
    ['no CI', {}, null],
    ['GitLab merge request without a token', { CI_API_V4_URL: 'https://gl/api/v4', CI_PROJECT_ID: '7', CI_MERGE_REQUEST_IID: '3' }, null],
    ['GitLab merge request with GITLAB_TOKEN', { CI_API_V4_URL: 'https://gl/api/v4/', CI_PROJECT_ID: 'acme/web', CI_MERGE_REQUEST_IID: '3', GITLAB_TOKEN: 'glpat' },
      { where: 'merge request !3', list: 'https://gl/api/v4/projects/acme%2Fweb/merge_requests/3/notes?per_page=100' }],
    ['GitHub without an event file', { GITHUB_TOKEN: 'ghs', GITHUB_REPOSITORY: 'acme/web', GITHUB_EVENT_PATH: '/nonexistent/event.json' }, null],
  ])('%s', (_name, env, expected) => {
    const target = commentTarget(env)
    if (expected === null) expect(target).toBeNull()
    else expect(target).toMatchObject(expected)
  })

  it('reads rel=next from a Link header and marks a project\'s comment', () => {
    expect(nextLink('<https://api/x?page=2>; rel="next", <https://api/x?page=5>; rel="last"')).toBe('https://api/x?page=2')
    expect(nextLink('<https://api/x?page=1>; rel="prev"')).toBeNull()
    expect(nextLink(null)).toBeNull()
    expect(commentMarker('web')).toBe('<!-- proofdeck:web -->')
    expect(commentMarker('web', 'e2e/node 20')).toBe('<!-- proofdeck:web:e2e%2Fnode%2020 -->')
  })

  it.each([
    ['a GitHub job', { GITHUB_JOB: 'e2e' }, undefined, 'e2e'],
    ['a GitHub matrix leg with --environment', { GITHUB_JOB: 'test' }, 'node-20', 'test/node-20'],
    ['a GitLab parallel job uploading runs of its own', { CI_JOB_NAME: 'rspec 2/3' }, undefined, 'rspec 2/3', false],
    // the docs' recipe: --run-key "gl-$CI_PIPELINE_ID-test" --shard: one run, one note (a review saw three, two stuck on ⏳)
    ['a GitLab parallel job uploading shards of one run', { CI_JOB_NAME: 'rspec 2/3' }, undefined, 'rspec', true],
    ['a GitHub sharded matrix leg', { GITHUB_JOB: 'e2e' }, undefined, 'e2e', true],
    ['a GitLab matrix job', { CI_JOB_NAME: 'test: [node18]' }, undefined, 'test: [node18]'],
    ['no job', {}, undefined, undefined],
  ])('keeps a comment per CI job: %s', (_name, env, environment, job, sharded = false) => {
    expect(commentJob(env, environment, sharded)).toBe(job)
  })
})
