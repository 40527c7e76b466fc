import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import S3rver from 's3rver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './server'
import { createKey, login } from './client'

const BUCKET = 'proofdeck-blobs'

/** A Playwright JSON report of one failed test whose screenshot and trace are files next to it. */
const report = (files: string[]) => JSON.stringify({
  config: { version: '1.65.1' }, errors: [], stats: { startTime: new Date().toISOString(), duration: 900, expected: 0, unexpected: 1, flaky: 0, skipped: 0 },
  suites: [{ title: 'cart.spec.ts', file: 'cart.spec.ts', specs: [{ title: 'adds an item', file: 'cart.spec.ts', line: 3, tests: [{
    projectName: 'chromium', expectedStatus: 'passed', status: 'unexpected', annotations: [],
    results: [{
      status: 'failed', duration: 800, startTime: new Date().toISOString(), error: { message: 'expected 1 item, got 0' },
      attachments: files.map(f => ({ name: f.split('/').pop()!.split('.')[0], contentType: f.endsWith('.png') ? 'image/png' : 'application/zip', path: f })),
    }],
  }] }] }],
})

describe('attachments in an S3-compatible bucket (s3rver)', () => {
  let s3: S3rver
  let endpoint: string
  let server: TestServer
  let cookie: string
  beforeAll(async () => {
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: mkdtempSync(join(tmpdir(), 'pd-s3rver-')), configureBuckets: [{ name: BUCKET }] })
    const { port } = await s3.run()
    endpoint = `http://127.0.0.1:${port}`
    server = await startServer({
      PROOFDECK_BLOB_DRIVER: 's3', PROOFDECK_S3_ENDPOINT: endpoint, PROOFDECK_S3_BUCKET: BUCKET, PROOFDECK_S3_REGION: 'us-east-1',
      PROOFDECK_S3_ACCESS_KEY_ID: 'S3RVER', PROOFDECK_S3_SECRET_ACCESS_KEY: 'S3RVER',
      // sweeps every 2 s that leave blobs younger than 5 s: an upload in flight keeps its files, a deleted run's go soon
      PROOFDECK_BLOB_SWEEP_HOURS: '0.0005', PROOFDECK_BLOB_SWEEP_GRACE_SECONDS: '5', PROOFDECK_JOBS_POLL_SECONDS: '1',
    })
    cookie = await login(server)
  })
  afterAll(async () => {
    await server?.stop()
    await s3?.close()
  })

  /** The object keys in the bucket, from the S3 API itself. */
  const objects = async () => [...(await (await fetch(`${endpoint}/${BUCKET}?list-type=2`)).text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map(m => m[1])

  it('the CLI uploads a report\'s files into the bucket; they download byte-identical; deleting the project sweeps them', async () => {
    const work = mkdtempSync(join(tmpdir(), 'pd-s3-report-'))
    mkdirSync(join(work, 'results'))
    const bytes: Record<string, Buffer> = { 'results/screenshot.png': randomBytes(70_000), 'results/trace.zip': randomBytes(5_000) }
    for (const [name, content] of Object.entries(bytes)) writeFileSync(join(work, name), content)
    writeFileSync(join(work, 'report.json'), report(Object.keys(bytes)))
    const { key } = await createKey(server, cookie, { scopes: ['ingest'] })
    const { stdout } = await promisify(execFile)(process.execPath, [
      'cli/proofdeck.mjs', 'upload', join(work, 'report.json'), '--project', 'bucketed', '--run-key', 's3-1', '--json', '--no-comment',
    ], { env: { PATH: process.env.PATH!, PROOFDECK_URL: server.url, PROOFDECK_TOKEN: key } })
    const { runId } = JSON.parse(stdout)
    expect((await objects()).sort()).toEqual(Object.values(bytes).map(b => `${blobKey(b)}`).sort())

    const listed = await (await fetch(`${server.url}/api/runs/${runId}/attachments`, { headers: { cookie } })).json() as { name: string, url: string }[]
    expect(listed.map(f => f.name).sort()).toEqual(['screenshot', 'trace'])
    for (const f of listed) {
      const res = await fetch(`${server.url}${f.url}`, { headers: { cookie } })
      expect(res.status).toBe(200)
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes[`results/${f.name}.${f.name === 'trace' ? 'zip' : 'png'}`]!)).toBe(true)
    }

    const deleted = await fetch(`${server.url}/api/projects/bucketed`, {
      method: 'DELETE', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ confirm: 'bucketed' }),
    })
    expect(deleted.status).toBe(204)
    await expect.poll(objects, { timeout: 60_000, interval: 500 }).toEqual([])
    // the sweep logs once its deletes are done: the bucket can be empty a moment before the line is written
    await expect.poll(() => server.logs(), { timeout: 10_000, interval: 100 }).toMatch(/blob sweep deleted 2 unreferenced blobs/)
  })
})

/** The blob's object key: unstorage's s3 driver writes `<2 hex digits>:<sha256>` as the path `<2 hex digits>/<sha256>`. */
function blobKey(content: Buffer): string {
  const sha256 = createHash('sha256').update(content).digest('hex')
  return `${sha256.slice(0, 2)}/${sha256}`
}
