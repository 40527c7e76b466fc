import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './server'
import { createKey, login, upload } from './client'

const run = promisify(execFile)

/**
 * Outages judged where they happened (docs/analysis.md): a shard or job whose service died is an outage by itself,
 * though its run is not. The receipt and the CLI say which upload was one.
 */
type Outcome = 'pass' | 'fail' | 'retry' | 'refused'
const REFUSED = 'Error: connect ECONNREFUSED 127.0.0.1:5432'

/** A JUnit report of tests named `t<i>`, each with its outcome (pass when not given). */
function junit(tests: number[], outcome: (i: number) => Outcome = () => 'pass'): string {
  const cases = tests.map((i) => {
    const open = `<testcase classname="orders" name="t${i}" file="orders.spec.ts" time="0.1">`
    switch (outcome(i)) {
      case 'fail': return `${open}<failure message="expected 3 to equal ${i}">AssertionError: expected 3 to equal ${i}\n    at orders.spec.ts:${i}:5</failure></testcase>`
      case 'retry': return `${open}<flakyFailure message="expected 3 to equal ${i}" type="AssertionError">AssertionError: expected 3 to equal ${i}</flakyFailure></testcase>`
      case 'refused': return `${open}<error message="${REFUSED}">${REFUSED}\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)</error></testcase>`
      default: return `${open}</testcase>`
    }
  })
  return `<?xml version="1.0"?><testsuite name="orders" tests="${tests.length}">${cases.join('')}</testsuite>`
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k)

describe('outages of an upload, said', () => {
  let server: TestServer
  let cookie: string
  let key: string
  const dir = mkdtempSync(join(tmpdir(), 'pd-outages-'))
  const cli = async (name: string, content: string, ...args: string[]) => {
    const file = join(dir, name)
    writeFileSync(file, content)
    const env = { PATH: process.env.PATH!, PROOFDECK_URL: server.url, PROOFDECK_TOKEN: key }
    return run(process.execPath, ['cli/proofdeck.mjs', 'upload', file, '--no-codeowners', ...args], { env })
  }
  const send = async (project: string, runKey: string, hour: number, content: string, query: Record<string, string> = {}) => {
    const res = await upload(server, [{ name: `${runKey}-${query.shard ?? '1'}-${query.ciAttempt ?? '1'}.xml`, content }], {
      key, query: { project, branch: 'main', runKey, startedAt: new Date(Date.UTC(2026, 10, 2, hour)).toISOString(), ...query },
    })
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
    return res.body
  }

  beforeAll(async () => {
    server = await startServer()
    cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
  })
  afterAll(() => server?.stop())

  it('the receipt says which upload was an outage, the CLI prints it, and the job summary names the shard', async () => {
    const flags = (shard: string, job = 'e2e') => ['--project', 'shop', '--run-key', 'nightly-1', '--job', job, '--shard', shard]
    const healthy = await cli('shard-1.xml', junit(range(0, 30)), ...flags('1/2'))
    expect(healthy.stdout).not.toContain('was an outage')
    // shard 2's database container died: 10 of its 10 tests refused, in a run that is not an outage (10 of 40 failed)
    const summary = join(dir, 'summary.md')
    const down = await cli('shard-2.xml', junit(range(30, 40), () => 'refused'), ...flags('2/2'), '--summary', summary)
    expect(down.stdout).toContain('10 errored')
    expect(down.stdout).not.toContain('infrastructure failure')
    expect(down.stdout).toContain(`  this upload was an outage: 10 of 10 tests failed on ${REFUSED}; left out of flakiness`)
    expect(readFileSync(summary, 'utf8')).toContain(`> ⚠️ **Outage in shard 2/2 of \`e2e\` (this upload):** 10 of 10 tests failed on \`${REFUSED}\`.`)
    // a retry of the same content says it again; another job's upload to the run names the shard that was one
    const again = JSON.parse((await cli('shard-2.xml', junit(range(30, 40), () => 'refused'), ...flags('2/2'), '--json')).stdout)
    const outage = { thisUpload: true, shard: '2/2', job: 'e2e', executed: 10, failed: 10, cause: 'network', causeFailures: 10, error: REFUSED }
    expect(again).toMatchObject({ infrastructure: false, counts: { tests: 40, failed: 0, errored: 10 }, outages: [outage] })
    const other = await cli('api.xml', junit(range(40, 45)), ...flags('1/1', 'api'), '--summary', summary)
    expect(other.stdout).toContain(`  shard 2/2 of e2e was an outage: 10 of 10 tests failed on ${REFUSED}; left out of flakiness`)
    expect(other.stdout).not.toContain('this upload was an outage')
    expect(readFileSync(summary, 'utf8')).toContain('> ⚠️ **Outage in shard 2/2 of `e2e`:** 10 of 10 tests failed')
    // an upload that was no outage has none in its receipt
    const green = await send('shop', 'nightly-2', 2, junit(range(0, 30)))
    expect(green.outages).toBeUndefined()
    // a whole run that failed so says both: the run is an infrastructure failure, and this upload the outage
    const whole = await send('shop', 'nightly-3', 3, junit(range(0, 12), i => i < 11 ? 'refused' : 'pass'))
    const alone = { ...outage, shard: null, job: null, executed: 12, failed: 11, causeFailures: 11 }
    expect(whole).toMatchObject({ infrastructure: true, outages: [alone] })
  })
})
