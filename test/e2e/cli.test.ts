import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './server'
import { createKey, login } from './client'

const run = promisify(execFile)
const CORPUS = resolve(__dirname, '../../../shared/corpus')

describe('proofdeck CLI against the built server', () => {
  let server: TestServer
  let env: Record<string, string>
  beforeAll(async () => {
    server = await startServer()
    const { key } = await createKey(server, await login(server), { scopes: ['ingest'] })
    env = { PATH: process.env.PATH!, PROOFDECK_URL: server.url, PROOFDECK_TOKEN: key, GITHUB_ACTIONS: 'true', GITHUB_REF_NAME: 'main', GITHUB_SHA: 'b'.repeat(40), GITHUB_RUN_ID: '77', GITHUB_JOB: 'e2e', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/web' }
  })
  afterAll(() => server?.stop())

  it('uploads shards with the CI run key into one run and prints the receipt; a re-run changes nothing', async () => {
    const cli = (file: string) => run(process.execPath, ['cli/proofdeck.mjs', 'upload', `${CORPUS}/${file}`, '--project', 'cli'], { env })
    const first = await cli('junit/junitxml__junit-basic.xml')
    expect(first.stdout).toContain('cli: run failed — 9 tests: 8 passed, 1 failed, 0 errored, 0 skipped')
    expect(first.stdout).toMatch(new RegExp(`${server.url}/runs/[0-9a-f-]{36}`))
    const second = await cli('ctrf/ctrf__minimal.json')
    expect(second.stdout).toContain('10 tests: 9 passed, 1 failed')
    expect(second.stdout).toContain('merged: 2 uploads in this run (run key gh-77-1-e2e)')
    const again = await cli('ctrf/ctrf__minimal.json')
    expect(again.stdout).toContain('already stored: ctrf__minimal.json')
    expect(again.stdout).toContain('10 tests')
  })
})
