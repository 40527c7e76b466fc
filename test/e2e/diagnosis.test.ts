import { readFileSync } from 'node:fs'
import { uuidsIn } from '#shared/uuid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeLlm } from '../fixtures/fake-llm'
import { queryDb, startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'
import { JVM_REPORTS } from '../fixtures/jvm-build'

/**
 * Diagnosis end to end: reports uploaded through /api/v1/runs make a failure cluster, diagnosed after the upload;
 * its context bundle and diagnosis are read over the dashboard API; a new version appears only with new evidence,
 * or on request, never on a read; feedback is stored; an LLM (a local server speaking the OpenAI and Anthropic
 * wire formats) answers when configured, and the rule engine's diagnosis stands when it answers badly or fails.
 * The provider key never leaves the server.
 */

const LLM_KEY = 'sk-proj-E2eFakeProviderKey0123456789abcdef'
const TESTS = Array.from({ length: 12 }, (_, i) => `test ${String(i).padStart(2, '0')}`)
const sha = (n: number) => `${n.toString(16).padStart(4, '0')}${'c'.repeat(36)}`

describe('diagnosis', () => {
  let server: TestServer
  let fake: Awaited<ReturnType<typeof startFakeLlm>>
  let cookie: string
  let ingestKey: string
  let clusterId: string
  let readKey: string
  /** Every body the server sent back, to prove the provider key never appears in one. */
  const bodies: string[] = []

  function junit(failing: string[], n: number): string {
    const cases = TESTS.map((t) => {
      const open = `<testcase classname="com.acme.billing.TaxCalculatorTest" name="${t}" time="0.1">`
      if (!failing.includes(t)) return `${open}</testcase>`
      const out = `calculating VAT for ada.lovelace@example.com\nPOST https://tax.acme.dev/rates Authorization: Bearer ${ingestKey}\nrate table loaded: 19.6\nERROR assertion failed in ${t}`
      return `${open}<failure message="expected: &lt;19.00&gt; but was: &lt;19.60&gt;" type="org.opentest4j.AssertionFailedError">org.opentest4j.AssertionFailedError: expected: &lt;19.00&gt; but was: &lt;19.60&gt;\n\tat org.junit.jupiter.api.AssertionUtils.fail(AssertionUtils.java:55)\n\tat com.acme.billing.TaxCalculatorTest.vat(TaxCalculatorTest.java:${57 + n})</failure><system-out>${out}</system-out></testcase>`
    })
    return `<?xml version="1.0"?><testsuite name="com.acme.billing.TaxCalculatorTest">${cases.join('')}</testsuite>`
  }

  async function send(n: number, failing: string[]) {
    const res = await upload(server, [{ name: 'TEST-tax.xml', content: junit(failing, n) }], {
      key: ingestKey,
      query: { project: 'billing', branch: 'main', commit: sha(n), commitMessage: `change ${n}`, runKey: `run-${n}`, startedAt: new Date(Date.UTC(2026, 10, 1, n)).toISOString() },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body
  }

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
    const res = await fetch(`${server.url}${path}`, {
      method, headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000), // a read that waited on a diagnosis would hang here
    })
    const text = await res.text()
    bodies.push(text)
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }

  const diagnosisOf = async (id: string) => (await api('GET', `/api/clusters/${id}/diagnosis`)).body
  const versionsOf = async (id: string) => (await diagnosisOf(id)).versions.map((v: any) => v.version)

  /** `get_cluster_diagnosis` (or another tool on a cluster) over the MCP endpoint, as an agent calls it. */
  async function mcpDiagnosis(id: string, tool = 'get_cluster_diagnosis'): Promise<string> {
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept': 'application/json', 'authorization': `Bearer ${readKey}`, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: { clusterId: id } } }),
      signal: AbortSignal.timeout(15_000),
    })
    const text = await res.text()
    bodies.push(text)
    return JSON.parse(text).result.content[0].text
  }

  /** Each LLM test configures its provider itself, so it does not count on the settings test having run. */
  async function useOpenAi() {
    const body = { provider: 'openai', baseUrl: `${fake.url}/v1`, model: 'gpt-fake', apiKey: LLM_KEY, priceInputPerMtok: 0.5, priceOutputPerMtok: 1.5 }
    expect((await api('PUT', '/api/settings/ai', body)).status).toBe(200)
  }
  async function useAnthropic() {
    const body = { provider: 'anthropic', baseUrl: fake.url, model: 'claude-fake', priceInputPerMtok: 3, priceOutputPerMtok: 15 }
    expect((await api('PUT', '/api/settings/ai', body)).status).toBe(200)
  }

  beforeAll(async () => {
    fake = await startFakeLlm()
    server = await startServer()
    cookie = await login(server)
    ingestKey = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    readKey = (await createKey(server, cookie, { scopes: ['read'] })).key
    for (let n = 1; n <= 3; n++) await send(n, [])
    const receipt = await send(4, ['test 03', 'test 04'])
    expect(receipt.newClusters).toHaveLength(1)
    clusterId = receipt.newClusters[0].id
  })
  afterAll(async () => {
    fake?.release()
    await server?.stop()
    await fake?.close()
  })

  it('has a rule-engine diagnosis, made after the upload, with evidence cited from the context', async () => {
    await expect.poll(() => versionsOf(clusterId)).toEqual([1])
    const { status, body } = await api('GET', `/api/clusters/${clusterId}/diagnosis`)
    expect(status).toBe(200)
    expect(body.versions).toHaveLength(1)
    const d = body.latest
    expect(d).toMatchObject({ version: 1, engine: 'rules', model: null, category: 'assertion', error: null, inputTokens: null, costUsd: null })
    expect(body.note).toBeNull()
    expect(d.summary).toBe('Assertion failed: expected 19.00, received 19.60')
    expect(d.rootCause).toContain(sha(3).slice(0, 10)) // the last green commit
    expect(d.investigationSteps).toHaveLength(6)
    expect(d.investigationSteps[2]).toContain(`git bisect start ${sha(4).slice(0, 10)} ${sha(3).slice(0, 10)}`)
    const ctx = (await api('GET', `/api/clusters/${clusterId}/context`)).body
    for (const e of d.evidence) {
      expect(ctx.markdown).toContain(e.runId)
      expect(ctx.markdown).toContain(e.quote)
    }
    // every run it cites, in its evidence or only in its text (the last green run), comes with its number
    const inEvidence = new Set<string>(d.evidence.map((e: any) => e.runId))
    const onlyInText = uuidsIn(d.rootCause).filter(runId => !inEvidence.has(runId))
    expect(onlyInText.length).toBeGreaterThan(0)
    for (const runId of [...inEvidence, ...onlyInText]) {
      const run = await api('GET', `/api/runs/${runId}`)
      expect(run.status).toBe(200)
      expect(d.runNumbers[runId]).toBe(run.body.number)
    }
    // a cited result names its test, which opens (an agent follows it with get_test_case)
    const cited = d.evidence.filter((e: any) => e.resultId)
    expect(cited.length).toBeGreaterThan(0)
    for (const e of cited) {
      expect(e.testCaseId).toBe(ctx.data.errors.find((x: any) => x.resultId === e.resultId).testCaseId)
      expect((await api('GET', `/api/test-cases/${e.testCaseId}`)).status).toBe(200)
    }
  })

  it('serves the context bundle: redacted, within budget, with the last green run and what it omitted', async () => {
    const { status, body } = await api('GET', `/api/clusters/${clusterId}/context`)
    expect(status).toBe(200)
    expect(body.budgetTokens).toBe(6000)
    expect(body.approxTokens).toBeLessThanOrEqual(6000)
    expect(Array.isArray(body.omitted)).toBe(true)
    expect(body.markdown).toContain('expected: <19.00> but was: <19.60>')
    expect(body.markdown).toMatch(/Last green run of these tests on that branch before it: run [0-9a-f-]{36} on main @ 0003cccccc "change 3"/)
    expect(body.markdown).toContain('ERROR assertion failed')
    expect(body.markdown).not.toContain(ingestKey)
    expect(body.markdown).not.toContain('ada.lovelace@example.com')
    expect(body.data.redactions).toMatchObject({ email: expect.any(Number) })
    expect(body.data.affectedTests.total).toBe(2)
    const small = await api('GET', `/api/clusters/${clusterId}/context?budget=1000`)
    expect(small.body.approxTokens).toBeLessThanOrEqual(1000)
    expect((await api('GET', `/api/clusters/${clusterId}/context?budget=10`)).status).toBe(400)
  })

  it('makes a new version only when new evidence arrives', async () => {
    await send(5, ['test 03', 'test 04']) // the same failure again, but its tests now have runs enough for a label
    // a diagnosis queued while another of its cluster still waits to run is that one (it reads the newer evidence
    // too), so run 6 is sent once run 5's version is there: two versions, not one that covers both uploads
    await expect.poll(() => versionsOf(clusterId)).toEqual([2, 1])
    await send(6, ['test 03', 'test 04', 'test 05']) // a new affected test
    // had a check made one more, the POST below would not be the next number
    await expect.poll(() => versionsOf(clusterId)).toEqual([3, 2, 1])
    const { versions, latest } = await diagnosisOf(clusterId)
    // the latest version is read whole (the others' text is not): the list's first entry, with its evidence and steps
    expect(latest).toMatchObject({
      id: versions[0].id, version: 3, changed: versions[0].changed, summary: expect.any(String), rootCause: expect.any(String),
      evidence: expect.arrayContaining([expect.objectContaining({})]), investigationSteps: expect.arrayContaining([expect.any(String)]),
      feedback: { helpful: 0, wrong: 0, mine: null },
    })
    expect(versions[1].changed).toMatch(/^"[^"]+ › test 03" turned stable \(was new\); "[^"]+ › test 04" turned stable \(was new\)$/)
    expect(versions[0].changed).toMatch(/^"[^"]+ › test 03" turned broken \(was stable\); "[^"]+ › test 04" turned broken \(was stable\); 1 new affected test$/)
    await send(7, ['test 03', 'test 04', 'test 05']) // nothing new again: checked before the POST below runs
  })

  it('recomputes when asked', async () => {
    const before = (await api('GET', `/api/clusters/${clusterId}/diagnosis`)).body.latest.version
    const { status, body } = await api('POST', `/api/clusters/${clusterId}/diagnosis`)
    expect(status).toBe(201)
    expect(body.latest.version).toBe(before + 1)
  })

  it('stores feedback per version, one answer per user', async () => {
    const d = (await api('GET', `/api/clusters/${clusterId}/diagnosis`)).body.latest
    const wrong = await api('POST', `/api/diagnoses/${d.id}/feedback`, { helpful: false, note: 'The rate table changed, not the code.' })
    expect(wrong.status).toBe(201)
    expect(wrong.body).toMatchObject({ helpful: 0, wrong: 1, mine: { helpful: false, note: 'The rate table changed, not the code.' } })
    const helpful = await api('POST', `/api/diagnoses/${d.id}/feedback`, { helpful: true })
    expect(helpful.body).toMatchObject({ helpful: 1, wrong: 0, mine: { helpful: true, note: null } })
    expect((await api('GET', `/api/clusters/${clusterId}/diagnosis`)).body.latest.feedback)
      .toEqual({ helpful: 1, wrong: 0, mine: { helpful: true, note: null, createdAt: expect.stringMatching(/Z$/) } })
    expect((await api('POST', `/api/diagnoses/${d.id}/feedback`, { note: 'no verdict' })).status).toBe(400)
    const missing = await api('POST', `/api/diagnoses/00000000-0000-4000-8000-000000000000/feedback`, { helpful: true })
    expect([missing.status, missing.body.data?.code]).toEqual([404, 'diagnosis_not_found'])
  })

  it('reproduces a JVM test with the build its run says ran it: Gradle in its module, Maven in its, never Maven for Gradle', async () => {
    const receipt = await upload(server, JVM_REPORTS, { key: ingestKey, query: { project: 'jvm-build', branch: 'main', runKey: 'jvm-build-1' } })
    expect(receipt.status, JSON.stringify(receipt.body)).toBe(201)
    const steps: Record<string, string> = {}
    for (const c of receipt.body.newClusters) {
      await expect.poll(() => versionsOf(c.id)).toEqual([1])
      const { latest } = await diagnosisOf(c.id)
      steps[c.title] = latest.investigationSteps[0]
    }
    expect(Object.values(steps)).toEqual(expect.arrayContaining([
      expect.stringContaining(`\`./gradlew :api:test --tests 'com.example.api.ApplicationTests.contextLoads'\``),
      expect.stringContaining(`\`mvn -pl billing -Dtest='ApplicationTests#contextLoads' test\``),
    ]))
    expect(Object.keys(steps)).toHaveLength(2)
  })

  it('reproduces pytest and go test failures of reports that name no file, and reads a Go nil pointer as a bug, not a dead process', async () => {
    // the review's real reports: pytest's default xunit2 and go-junit-report write no file attribute
    const report = (name: string) => readFileSync(`${__dirname}/../fixtures/reports/${name}`, 'utf8')
    const diagnoses: Record<string, any> = {}
    for (const [project, name] of [['go-repro', 'gojunit-panic.xml'], ['py-repro', 'pytest-rerunfailures.xml']]) {
      const receipt = await upload(server, [{ name: name!, content: report(name!) }], { key: ingestKey, query: { project: project!, branch: 'main', runKey: `${project}-1` } })
      expect(receipt.status, JSON.stringify(receipt.body)).toBe(201)
      for (const c of receipt.body.newClusters) {
        await expect.poll(() => versionsOf(c.id)).toEqual([1])
        diagnoses[c.title] = (await diagnosisOf(c.id)).latest
      }
    }
    const panic = diagnoses['runtime error: invalid memory address or nil pointer dereference']
    expect(panic.investigationSteps[0]).toContain(`\`go test -run '^TestParseAmount$' example.com/ledger/internal/money\``)
    expect(panic.summary).toMatch(/^nil pointer dereference thrown at .*parse\.go:41/)
    expect(panic.rootCause).not.toMatch(/process|SIGSEGV|OOM/)
    expect(diagnoses['rate EUR→USD: got <n>, want <n>'].investigationSteps[0])
      .toContain(`\`go test -run '^TestConvert$/^eur_to_usd$' example.com/ledger/internal/fx\``)
    const py = Object.values(diagnoses).find(d => d.investigationSteps[0].includes('pytest'))
    expect(py.investigationSteps[0]).toContain(`\`pytest 'tests/test_users.py::test_always_down'\``)
  })

  it('reads cargo test as Rust writes it: a green run of two binaries passes, each panic is a cause of its own, diagnosed with a cargo command', async () => {
    // the review's engine-rs runs (test/fixtures/reports/cargo-2021-*.xml): the green one is two JUnit documents
    const report = (name: string) => readFileSync(`${__dirname}/../fixtures/reports/${name}`, 'utf8')
    const send = async (n: number, name: string) => {
      const res = await upload(server, [{ name: 'cargo.xml', content: report(name) }], { key: ingestKey, query: { project: 'engine-rs', branch: 'main', runKey: `engine-rs-${n}` } })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body
    }
    const green = await send(1, 'cargo-2021-green.xml')
    expect([green.status, green.counts]).toEqual(['passed', { tests: 7, passed: 7, failed: 0, errored: 0, skipped: 0, flaky: 0 }])
    const red = await send(2, 'cargo-2021-failing.xml')
    expect([red.status, red.counts.passed, red.counts.failed]).toEqual(['failed', 5, 2])
    const unwrap = await send(3, 'cargo-2021-unwrap.xml')
    expect(unwrap.failures.blocking).toEqual([expect.objectContaining({ title: 'unwrap_on_none_panics', name: 'tests::query_parser::unwrap_on_none_panics' })])
    const clusters = [...red.newClusters, ...unwrap.newClusters]
    expect(clusters.map((c: any) => c.title).sort()).toEqual([
      'assertion `left == right` failed: bm25 score drifted', 'called `Option::unwrap()` on a `None` value', 'merge race: segment <n> missing',
    ])
    const diagnoses: Record<string, any> = {}
    for (const c of clusters) {
      await expect.poll(() => versionsOf(c.id)).toEqual([1])
      diagnoses[c.title] = (await diagnosisOf(c.id)).latest
    }
    const none = diagnoses['called `Option::unwrap()` on a `None` value']
    expect([none.category, none.summary]).toEqual(['crash', 'Panicked: called `Option::unwrap()` on `None` at src/lib.rs:34:26'])
    expect(none.investigationSteps[0]).toContain('`cargo test tests::query_parser::unwrap_on_none_panics -- --exact`')
    expect(none.confidence).toBeGreaterThan(0.5)
    const drift = diagnoses['assertion `left == right` failed: bm25 score drifted']
    expect([drift.category, drift.summary]).toEqual(['assertion', 'Assertion failed: expected 0.75, received 0.71'])
    expect(drift.investigationSteps[0]).toContain('`cargo test tests::ranking_is_stable -- --exact`')
    const race = diagnoses['merge race: segment <n> missing']
    expect(race.summary).toMatch(/^Panicked: merge race: segment \d+ missing at src\/lib\.rs:26:9$/)
    expect(race.investigationSteps[0]).toContain('`cargo test tests::shard_merge_is_flaky -- --exact`')
    // the lists name a test so, and a search for that name finds it (a test that never failed: by its name alone)
    for (const q of ['tests::query_parser::parses_phrase', 'query_parser::parses']) {
      const found = (await api('GET', `/api/search?project=engine-rs&q=${encodeURIComponent(q)}`)).body
      expect(found.tests.items.map((t: any) => t.title), q).toEqual(['parses_phrase'])
      const listed = (await api('GET', `/api/projects/engine-rs/tests?query=${encodeURIComponent(q)}`)).body
      expect(listed.items.map((t: any) => t.title), q).toEqual(['parses_phrase'])
    }
  })

  it('keeps a Gradle class\'s output (written once, on its suite) with its failed test: on the run and in the cluster\'s context', async () => {
    const content = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="com.acme.ledger.LedgerTests" tests="2" failures="1" errors="0" timestamp="2026-11-20T10:00:00" hostname="runner" time="0.4">
  <testcase name="postsEntry()" classname="com.acme.ledger.LedgerTests" time="0.2">
    <failure message="org.opentest4j.AssertionFailedError: expected: &lt;200&gt; but was: &lt;500&gt;" type="org.opentest4j.AssertionFailedError">org.opentest4j.AssertionFailedError: expected: &lt;200&gt; but was: &lt;500&gt;
\tat app//com.acme.ledger.LedgerTests.postsEntry(LedgerTests.java:31)</failure>
  </testcase>
  <testcase name="readsBalance()" classname="com.acme.ledger.LedgerTests" time="0.2"/>
  <system-out><![CDATA[10:00:01 INFO  Starting LedgerTests
10:00:02 ERROR o.h.e.j.s.SqlExceptionHelper - relation "ledger_entries" does not exist
]]></system-out>
  <system-err><![CDATA[]]></system-err>
</testsuite>`
    const receipt = await upload(server, [{ name: 'TEST-com.acme.ledger.LedgerTests.xml', content }], { key: ingestKey, query: { project: 'ledger', branch: 'main', runKey: 'ledger-1' } })
    expect(receipt.status, JSON.stringify(receipt.body)).toBe(201)
    expect(receipt.body.rejected).toEqual([])
    const run = (await api('GET', `/api/runs/${receipt.body.runId}?status=failed`)).body
    expect(run.results.items.map((r: any) => r.title)).toEqual(['postsEntry()'])
    const evidence = (await api('GET', `/api/results/${run.results.items[0].id}/evidence`)).body
    expect(evidence.stdout).toMatch(/^── output of the suite com\.acme\.ledger\.LedgerTests, written for all of its tests ──\n10:00:01 INFO {2}Starting LedgerTests\n.*relation "ledger_entries" does not exist$/s)
    const [cluster] = receipt.body.newClusters
    const context = (await api('GET', `/api/clusters/${cluster.id}/context`)).body
    expect(context.data.errors[0].logs).toEqual([expect.objectContaining({ stream: 'stdout', text: expect.stringContaining('relation "ledger_entries" does not exist') })])
  })

  it('answers 400 for a malformed id and 404 for an unknown cluster', async () => {
    expect((await api('GET', '/api/clusters/not-a-uuid/diagnosis')).status).toBe(400)
    const missing = await api('GET', '/api/clusters/00000000-0000-4000-8000-000000000000/diagnosis')
    expect([missing.status, missing.body.data?.code]).toEqual([404, 'cluster_not_found'])
    expect((await api('GET', '/api/clusters/00000000-0000-4000-8000-000000000000/context')).status).toBe(404)
    const anonymous = await fetch(`${server.url}/api/clusters/${clusterId}/diagnosis`)
    expect(anonymous.status).toBe(401)
  })

  /** One report of a shop project: `pays` fails with `error` when given, `ships` always passes. */
  /** Run `n` of the shop project; `now`: it starts when uploaded, after every diagnosis made so far. */
  async function sendShop(n: number, error: string | null, branch = 'main', now = false) {
    const failure = error ? `<failure message="${error}" type="AssertionError">${error}\n    at Object.pay (src/pay.ts:12:9)</failure>` : ''
    const content = `<testsuite name="shop"><testcase classname="shop.CheckoutTest" name="pays">${failure}</testcase>`
      + '<testcase classname="shop.CheckoutTest" name="ships"/></testsuite>'
    const res = await upload(server, [{ name: 'TEST-shop.xml', content }], {
      key: ingestKey, query: { project: 'shop', branch, commit: sha(200 + n), runKey: `shop-${n}`, ...now ? {} : { startedAt: new Date(Date.UTC(2026, 10, 2, n)).toISOString() } },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body
  }

  it('follows its evidence: a new version saying what changed when the test turns broken, none for the same failure again', async () => {
    const error = 'order 8a3f91c2 total mismatch: expected 40, got 41'
    for (let n = 1; n <= 3; n++) await sendShop(n, null)
    const id: string = (await sendShop(4, error)).newClusters[0].id
    await expect.poll(() => versionsOf(id)).toEqual([1])
    expect((await diagnosisOf(id)).latest.changed).toBeNull()
    // an all-digit id is the same cause: no second cluster
    expect((await sendShop(5, 'order 84121009 total mismatch: expected 40, got 41')).newClusters).toEqual([])
    await sendShop(6, error) // the third failure in a row: the test is broken now
    await expect.poll(async () => (await diagnosisOf(id)).versions.map((v: any) => v.changed).join(' | '))
      .toMatch(/"shop › shop\.CheckoutTest › pays" turned broken \(was \w+\)/)
    const broken = (await diagnosisOf(id)).latest
    expect(broken.version).toBeGreaterThanOrEqual(2)
    expect(broken.changed).toMatch(/turned broken/)

    await sendShop(7, error) // the same failure once more on the same branch: nothing material
    // a request runs after the upload's check (one diagnosis per cluster at a time): had the check made a version,
    // this one would not be the next number
    const asked = (await api('POST', `/api/clusters/${id}/diagnosis`)).body.latest
    expect([asked.version, asked.changed]).toEqual([broken.version + 1, 're-run on request'])

    await sendShop(8, error, 'release/2.0') // a new branch is material
    // the diagnosis runs on the job queue after the upload: a CI machine under load took over the default 10 s here
    await expect.poll(async () => (await diagnosisOf(id)).latest.changed, { timeout: 30_000 }).toMatch(/(?:^|; )new branch release\/2\.0$/)

    // the same failure in a run after it: no new version, and an agent reading the cluster is told its diagnosis is older
    const { version } = (await diagnosisOf(id)).latest
    expect(JSON.parse(await mcpDiagnosis(id, 'get_cluster')).diagnosis).not.toHaveProperty('note')
    await sendShop(9, error, 'release/2.0', true)
    const cluster = JSON.parse(await mcpDiagnosis(id, 'get_cluster'))
    expect(cluster.diagnosis).toMatchObject({
      version, note: `Made before the run of the latest failure started (${cluster.lastSeenAt}): the scores and counts it quotes are of its time.`,
    })
  })

  it('gives a cluster and its diagnosis one category', async () => {
    const reports = [
      {
        category: 'environment', type: 'FileNotFoundError',
        failure: 'FileNotFoundError: [Errno 2] No such file or directory: \'/srv/app/config/settings.yaml\'',
        stack: '  File "/srv/app/shop/config.py", line 14, in load\n    with open(path) as f:',
      },
      {
        category: 'crash', type: 'TypeError',
        failure: 'TypeError: Cannot read properties of undefined (reading \'email\')',
        stack: '    at receiptFor (src/receipts.ts:31:22)\n    at Object.&lt;anonymous&gt; (test/receipts.test.ts:9:5)',
      },
    ]
    for (const [i, r] of reports.entries()) {
      const content = `<testsuite name="categories"><testcase classname="categories" name="${r.type}">`
        + `<failure message="${r.failure}" type="${r.type}">${r.failure}\n${r.stack}</failure></testcase></testsuite>`
      const res = await upload(server, [{ name: 'TEST-categories.xml', content }], {
        key: ingestKey, query: { project: `categories-${i}`, branch: 'main', commit: sha(300 + i) },
      })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      const id: string = res.body.newClusters[0].id
      await expect.poll(() => versionsOf(id)).toEqual([1])
      const cluster = (await api('GET', `/api/clusters/${id}`)).body
      expect([cluster.category, (await diagnosisOf(id)).latest.category]).toEqual([r.category, r.category])
    }
  })

  it('stores the provider key encrypted and shows only whether it is set', async () => {
    expect((await api('GET', '/api/settings/ai')).body).toMatchObject({ source: 'none', provider: null, apiKey: { set: false } })
    const saved = await api('PUT', '/api/settings/ai', {
      provider: 'openai', baseUrl: `${fake.url}/v1`, model: 'gpt-fake', apiKey: LLM_KEY, priceInputPerMtok: 0.5, priceOutputPerMtok: 1.5,
    })
    expect(saved.status).toBe(200)
    expect(saved.body).toMatchObject({ source: 'settings', provider: 'openai', model: 'gpt-fake', apiKey: { set: true, last4: 'cdef' }, problem: null })
    const tested = await api('POST', '/api/settings/ai-test')
    expect(tested.body).toMatchObject({ ok: true })
    expect((await api('PUT', '/api/settings/ai', { provider: 'openai' })).status).toBe(400) // a model is required
  })

  it('asks the LLM with the redacted context and stores its validated answer with tokens and cost', async () => {
    await useOpenAi()
    const ctx = (await api('GET', `/api/clusters/${clusterId}/context`)).body
    const e = ctx.data.errors[0]
    fake.setMode({
      kind: 'json',
      body: {
        category: 'assertion', summary: 'The VAT rate table now says 19.6%.', rootCause: 'The rate table loaded in CI changed to 19.6.',
        evidence: [{ runId: e.runId, resultId: e.resultId, quote: 'expected: <19.00> but was: <19.60>', why: 'The computed VAT is 19.60.' }, { runId: 'invented', resultId: null, quote: 'x', why: 'dropped' }],
        suggestedFix: 'Pin the rate table fixture.', investigationSteps: ['Reproduce', 'Look at the rate', 'Bisect', 'Change one thing', 'Check the fixture', 'Verify'], confidence: 0.7,
      },
    })
    const before = fake.requests.length
    const { body } = await api('POST', `/api/clusters/${clusterId}/diagnosis`)
    expect(body.latest).toMatchObject({ engine: 'openai', model: 'gpt-fake-2026-01-01', summary: 'The VAT rate table now says 19.6%.', inputTokens: 1200, outputTokens: 300, error: null })
    expect(body.latest.costUsd).toBeCloseTo((1200 * 0.5 + 300 * 1.5) / 1e6, 9)
    expect(body.latest.latencyMs).toBeGreaterThanOrEqual(0)
    expect(body.latest.evidence).toEqual([expect.objectContaining({ resultId: e.resultId, testCaseId: e.testCaseId })])
    const req = fake.requests.slice(before).find(r => r.path === '/v1/chat/completions')!
    expect(req.headers.authorization).toBe(`Bearer ${LLM_KEY}`)
    const sent = JSON.stringify(req.body)
    expect(sent).toContain('expected: <19.00> but was: <19.60>')
    expect(sent).toContain(clusterId)
    expect(sent).not.toContain(ingestKey)
    expect(sent).not.toContain('ada.lovelace@example.com')
    expect(sent).not.toContain(LLM_KEY)
  })

  it('keeps the rule-engine diagnosis when the LLM answers badly or fails, and records why', async () => {
    await useOpenAi()
    fake.setMode({ kind: 'text', text: 'Probably the tax rate. Sorry, no JSON today.' })
    const invalid = (await api('POST', `/api/clusters/${clusterId}/diagnosis`)).body.latest
    expect(invalid).toMatchObject({ engine: 'rules', model: 'gpt-fake-2026-01-01', category: 'assertion', inputTokens: 1200, outputTokens: 300 })
    expect(invalid.error).toBe('openai gpt-fake: invalid output: the answer contains no JSON object')
    expect(invalid.summary).toBe('Assertion failed: expected 19.00, received 19.60')

    fake.setMode({ kind: 'json', body: { category: 'assertion', summary: 'x' } })
    expect((await api('POST', `/api/clusters/${clusterId}/diagnosis`)).body.latest.error).toMatch(/^openai gpt-fake: invalid output: rootCause/)

    fake.setMode({ kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${LLM_KEY}` } } })
    const denied = (await api('POST', `/api/clusters/${clusterId}/diagnosis`)).body.latest
    expect(denied).toMatchObject({ engine: 'rules', inputTokens: null, costUsd: null })
    expect(denied.error).toMatch(/^openai gpt-fake: HTTP 401 from http:\/\/127\.0\.0\.1:\d+: Incorrect API key provided: \[REDACTED:configured\]$/)
  })

  it('talks to Anthropic too', async () => {
    await useOpenAi()
    await useAnthropic()
    expect((await api('GET', '/api/settings/ai')).body.apiKey).toMatchObject({ set: true, last4: 'cdef' }) // key kept when not sent
    const ctx = (await api('GET', `/api/clusters/${clusterId}/context`)).body
    const e = ctx.data.errors[0]
    fake.setMode({
      kind: 'text',
      text: `\`\`\`json\n${JSON.stringify({
        category: 'assertion', summary: 'Rate table drift.', rootCause: 'The rate changed.', suggestedFix: 'Pin it.', confidence: 0.6,
        evidence: [{ runId: e.runId, resultId: e.resultId, quote: 'expected: <19.00> but was: <19.60>', why: 'VAT off' }], investigationSteps: ['Reproduce'],
      })}\n\`\`\``,
    })
    const d = (await api('POST', `/api/clusters/${clusterId}/diagnosis`)).body.latest
    expect(d).toMatchObject({ engine: 'anthropic', model: 'claude-fake', inputTokens: 1000, outputTokens: 250, costUsd: (1000 * 3 + 250 * 15) / 1e6 })
    expect(fake.requests.at(-1)!.headers['x-api-key']).toBe(LLM_KEY)
  })

  it('never diagnoses on a read: GET and get_cluster_diagnosis return what is stored, with no new version and no LLM call', async () => {
    fake.setMode({ kind: 'text', text: 'Held, then no JSON.' })
    fake.hold() // the diagnoses ingest starts below wait on the LLM until released
    const calls = fake.requests.length
    const before = await diagnosisOf(clusterId)
    await send(8, ['test 03', 'test 04', 'test 05', 'test 06']) // new evidence: a new affected test
    const fresh = await upload(server, [{
      name: 'TEST-intake.xml',
      content: `<testsuite name="intake"><testcase classname="intake.QueueTest" name="drains"><failure message="TypeError: Cannot read properties of undefined (reading 'size')" type="TypeError">TypeError: Cannot read properties of undefined (reading 'size')\n    at drain (src/queue.ts:12:9)</failure></testcase></testsuite>`,
    }], { key: ingestKey, query: { project: 'intake', branch: 'main', commit: sha(99) } })
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(201)
    const newClusterId: string = fresh.body.newClusters[0].id
    await expect.poll(() => fake.requests.length).toBe(calls + 2) // both diagnoses are waiting on the LLM now

    // the known cluster: the stored versions, as they were, however many read at once
    const reads = await Promise.all([1, 2, 3].map(() => diagnosisOf(clusterId)))
    for (const r of reads) expect(r).toEqual(before)
    expect(JSON.parse(await mcpDiagnosis(clusterId)).latest.id).toBe(before.latest.id)
    // the new cluster: nothing stored yet, and both entry points say one is on its way
    const pending = await diagnosisOf(newClusterId)
    expect(pending).toMatchObject({ latest: null, versions: [], note: expect.stringMatching(/on its way/) })
    const pendingText = await mcpDiagnosis(newClusterId)
    expect(pendingText).toMatch(/on its way/)
    expect(JSON.parse(pendingText).latest).toBeUndefined()
    expect(fake.requests.length).toBe(calls + 2)

    fake.release()
    await expect.poll(() => versionsOf(clusterId)).toEqual([before.latest.version + 1, ...before.versions.map((v: any) => v.version)])
    await expect.poll(() => versionsOf(newClusterId)).toEqual([1])
    expect(fake.requests.length).toBe(calls + 2) // only ingest's two calls, none from the reads
  })

  it('reports usage and cost over time', async () => {
    // three LLM diagnoses made here (one answered by OpenAI, one refused, one by Anthropic), counted against a baseline
    const e = (await api('GET', `/api/clusters/${clusterId}/context`)).body.data.errors[0]
    const evidence = [{ runId: e.runId, resultId: e.resultId, quote: 'expected: <19.00> but was: <19.60>', why: 'VAT off' }]
    const answer = { category: 'assertion', summary: 'Rate table drift.', rootCause: 'The rate changed.', suggestedFix: 'Pin it.', confidence: 0.6, evidence, investigationSteps: ['Reproduce'] }
    const before = (await api('GET', '/api/usage?days=30')).body
    await useOpenAi()
    fake.setMode({ kind: 'json', body: answer })
    expect((await api('POST', `/api/clusters/${clusterId}/diagnosis`)).body.latest).toMatchObject({ engine: 'openai', error: null })
    fake.setMode({ kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided' } } })
    expect((await api('POST', `/api/clusters/${clusterId}/diagnosis`)).body.latest.error).toMatch(/HTTP 401/)
    await useAnthropic()
    fake.setMode({ kind: 'text', text: JSON.stringify(answer) })
    expect((await api('POST', `/api/clusters/${clusterId}/diagnosis`)).body.latest).toMatchObject({ engine: 'anthropic', error: null })

    const { status, body } = await api('GET', '/api/usage?days=30')
    expect(status).toBe(200)
    expect(body.totals.llmCalls - before.totals.llmCalls).toBe(3)
    expect(body.totals.llmErrors - before.totals.llmErrors).toBe(1)
    expect(body.totals.costUsd - before.totals.costUsd).toBeCloseTo((1200 * 0.5 + 300 * 1.5 + 1000 * 3 + 250 * 15) / 1e6, 9)
    expect(body.byModel.map((m: any) => m.model)).toEqual(expect.arrayContaining(['gpt-fake-2026-01-01', 'claude-fake']))
    expect(body.days.at(-1).diagnoses).toBeGreaterThanOrEqual(3)
  })

  it('never shows the provider key: not in any response, not in the logs, not in the database in clear', async () => {
    // a stored key, and a provider error that echoes it back, made here so this test has something to find
    await useOpenAi()
    fake.setMode({ kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${LLM_KEY}` } } })
    expect((await api('POST', `/api/clusters/${clusterId}/diagnosis`)).body.latest.error).toMatch(/REDACTED/)
    expect((await api('PUT', '/api/settings/ai', { provider: null, apiKey: null })).body).toMatchObject({ source: 'none', apiKey: { set: false } })
    for (const b of bodies) expect(b).not.toContain(LLM_KEY)
    expect(server.logs()).not.toContain(LLM_KEY)
    expect(server.logs()).not.toContain(ingestKey)
    await server.kill()
    const rows = await queryDb(server.env, `select value::text as v from settings union all select coalesce(error, '') from diagnoses`)
    expect(rows.length).toBeGreaterThan(0)
    for (const r of rows) expect(JSON.stringify(r)).not.toContain(LLM_KEY)
  })
})
