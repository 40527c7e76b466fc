import { readFileSync } from 'node:fs'
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './server'
import { createKey, login } from './client'

// Every hostile body here is generated: highly compressible gzip parts, long chunked streams, slow uploads.
const MB = 1024 * 1024
const JUNIT = '<testsuite name="s"><testcase name="t"/></testsuite>'

const rssMb = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1]) / 1024

/** Runs `work` while sampling the server's resident memory; returns its result and the growth over the baseline, in MB. */
async function measured<T>(pid: number, work: () => Promise<T>): Promise<{ result: T, growthMb: number }> {
  const before = rssMb(pid)
  let peak = before
  const timer = setInterval(() => { peak = Math.max(peak, rssMb(pid)) }, 20)
  try {
    const result = await work()
    peak = Math.max(peak, rssMb(pid))
    return { result, growthMb: Math.round(peak - before) }
  }
  finally {
    clearInterval(timer)
  }
}

interface Answer { status: number, headers: IncomingHttpHeaders, body: string }
/** Writes one chunk; false once the server has answered (the writer then stops). */
type Write = (chunk: Buffer | string) => Promise<boolean>

/**
 * A POST whose body `produce` writes chunk by chunk (chunked transfer encoding unless a length is given). Resolves
 * with the server's answer even when it comes before the body ends; rejects only when no answer came (a reset).
 */
function send(url: string, headers: OutgoingHttpHeaders, produce: (write: Write) => Promise<void>, signal?: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false
    const waiting = new Set<() => void>()
    const req = request(url, { method: 'POST', headers, signal }, (res) => {
      answered = true
      for (const wake of waiting) wake()
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('error', (err) => { if (!answered) reject(err) })
    const write: Write = chunk => new Promise((r) => {
      if (answered || req.destroyed) return r(false)
      if (req.write(chunk)) return r(true)
      const wake = () => { waiting.delete(wake); r(!answered) }
      waiting.add(wake)
      req.once('drain', wake)
    })
    produce(write).then(() => { if (!req.destroyed) req.end() }, reject)
  })
}

/** Writes `total` bytes of zeros in 64 KB chunks, stopping when the server answers. */
const zeros = (total: number) => async (write: Write) => {
  const chunk = Buffer.alloc(64 * 1024)
  for (let sent = 0; sent < total; sent += chunk.length) if (!await write(chunk)) return
}

function multipart(boundary: string, files: { name: string, content: Buffer | string }[]): Buffer {
  const parts = files.flatMap(f => [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    Buffer.from(f.content), Buffer.from('\r\n'),
  ])
  return Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)])
}

describe('upload and /mcp limits', () => {
  let server: TestServer
  let key: string
  let readKey: string
  const runs = (query = 'project=limits') => `${server.url}/api/v1/runs?${query}`

  beforeAll(async () => {
    server = await startServer({ PROOFDECK_INGEST_CONCURRENCY: '2' })
    const cookie = await login(server)
    key = (await createKey(server, cookie, { scopes: ['ingest'] })).key
    readKey = (await createKey(server, cookie, { scopes: ['read'] })).key
  })
  afterAll(() => server?.stop())

  it('one decompressed-bytes budget for the whole upload: 40 gzip parts of 45 MB each get 413 with memory bounded', async () => {
    const bomb = gzipSync(Buffer.alloc(45 * MB, 'a'), { level: 9 })
    const boundary = 'pd-bomb'
    const body = multipart(boundary, Array.from({ length: 40 }, (_, i) => ({ name: `r${i}.xml.gz`, content: bomb })))
    expect(body.length).toBeLessThan(5 * MB)
    const headers = { 'authorization': `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length }
    const { result, growthMb } = await measured(server.pid, () => send(runs(), headers, async (write) => { await write(body) }))
    console.log(`40 gzip parts × 45 MB: ${result.status}, server RSS +${growthMb} MB`)
    expect(result.status).toBe(413)
    expect(JSON.parse(result.body).message).toMatch(/50 MB.*PROOFDECK_MAX_UPLOAD_MB/)
    expect(growthMb).toBeLessThan(300)
  })

  it('refuses more parts than PROOFDECK_MAX_UPLOAD_PARTS with a 413 sentence', async () => {
    const body = multipart('pd-many', Array.from({ length: 51 }, (_, i) => ({ name: `r${i}.xml`, content: JUNIT })))
    const headers = { 'authorization': `Bearer ${key}`, 'content-type': 'multipart/form-data; boundary=pd-many', 'content-length': body.length }
    const res = await send(runs(), headers, async (write) => { await write(body) })
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).message).toMatch(/50 files.*PROOFDECK_MAX_UPLOAD_PARTS/)
    // past every part the reader keeps (files and attachments together) it drops the rest and still answers
    const flood = multipart('pd-flood', Array.from({ length: 600 }, (_, i) => ({ name: `r${i}.xml`, content: JUNIT })))
    const flooded = await send(runs(), { ...headers, 'content-type': 'multipart/form-data; boundary=pd-flood', 'content-length': flood.length },
      async (write) => { await write(flood) })
    expect(flooded.status).toBe(413)
    expect(JSON.parse(flooded.body).message).toMatch(/50 files.*PROOFDECK_MAX_UPLOAD_PARTS/)
  })

  it('a chunked upload over the limit gets the 413 sentence, not a reset', async () => {
    const headers = { 'authorization': `Bearer ${key}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' }
    const res = await send(runs(), headers, zeros(60 * MB))
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).message).toContain('PROOFDECK_MAX_UPLOAD_MB')
  })

  it('accepts a multipart boundary with capitals, as browsers and Apache HttpClient send it', async () => {
    const boundary = '----WebKitFormBoundaryAbCdEf'
    const body = multipart(boundary, [{ name: 'junit.xml', content: JUNIT }])
    const headers = { 'authorization': `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length }
    const res = await send(runs('project=limits&runKey=webkit'), headers, async (write) => { await write(body) })
    expect(res.status, res.body).toBe(201)
    expect(JSON.parse(res.body).counts.tests).toBe(1)
  })

  it('reads a multipart body as it streams in: names as sent, and a sentence for a body it cannot read', async () => {
    const post = (body: Buffer | string, contentType: string, query = 'project=limits') => send(runs(query),
      { 'authorization': `Bearer ${key}`, 'content-type': contentType, 'content-length': Buffer.byteLength(body) }, async (write) => { await write(body) })
    const answer = (res: Answer) => {
      const body = JSON.parse(res.body) as { message?: string, data?: { code?: string } }
      return { status: res.status, code: body.data?.code, message: body.message }
    }
    // a UTF-8 file name with its path, two report files spread over one body
    const sent = await post(multipart('pd-names', [{ name: 'reports/Prüfung.xml', content: JUNIT },
      { name: 'other.xml', content: JUNIT.replace('name="t"', 'name="u"') }]), 'multipart/form-data; boundary=pd-names', 'project=limits&runKey=names')
    expect(sent.status, sent.body).toBe(201)
    expect(JSON.parse(sent.body).files.map((f: { name: string }) => f.name)).toEqual(['reports/Prüfung.xml', 'other.xml'])
    // cut short: the closing delimiter never comes
    const whole = multipart('pd-cut', [{ name: 'junit.xml', content: JUNIT }])
    expect(answer(await post(whole.subarray(0, whole.length - 12), 'multipart/form-data; boundary=pd-cut')))
      .toMatchObject({ status: 400, code: 'bad_multipart', message: expect.stringMatching(/cannot be read.*cut short/) })
    // a file name of 20 KB: the part's headers pass busboy's 16 KB
    expect(answer(await post(multipart('pd-long', [{ name: `${'a'.repeat(20_000)}.xml`, content: JUNIT }]), 'multipart/form-data; boundary=pd-long')))
      .toMatchObject({ status: 400, code: 'bad_multipart', message: expect.stringMatching(/headers, the file name included, must stay under 16 KB/) })
    // no boundary, or a boundary the body does not use
    expect(answer(await post(whole, 'multipart/form-data'))).toMatchObject({ status: 400, code: 'bad_multipart' })
    expect(answer(await post(whole, 'multipart/form-data; boundary=pd-other'))).toMatchObject({ status: 400, code: 'bad_multipart' })
    // fields only, no file
    const fields = '--pd-fields\r\ncontent-disposition: form-data; name="branch"\r\n\r\nmain\r\n--pd-fields--\r\n'
    expect(answer(await post(fields, 'multipart/form-data; boundary=pd-fields'))).toMatchObject({ status: 400, code: 'no_file' })
  })

  it('a chunked /mcp body of 20 MB gets the 413 JSON-RPC error while the server reads at most about 1 MB', async () => {
    const mcp = (body: (write: Write) => Promise<void>) => send(`${server.url}/mcp`, {
      'authorization': `Bearer ${readKey}`, 'content-type': 'application/json', 'accept': 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18', 'transfer-encoding': 'chunked',
    }, body)
    const toolsList = (id: number) => async (write: Write) => { await write(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' })) }
    // the first call loads the MCP code: not what is measured
    expect((await mcp(toolsList(1))).status).toBe(200)
    const { result, growthMb } = await measured(server.pid, () => mcp(async (write) => {
      if (await write('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"')) await zeros(20 * MB)(write)
    }))
    console.log(`chunked /mcp 20 MB: ${result.status}, server RSS +${growthMb} MB`)
    expect(result.status).toBe(413)
    expect(JSON.parse(result.body)).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringContaining('1 MB') } })
    expect(growthMb).toBeLessThan(16)
    // the endpoint still answers normally afterwards
    expect((await mcp(toolsList(2))).status).toBe(200)
  })

  it('a chunked JSON body of 20 MB to a dashboard route (sign-in needs no key) gets a 413 sentence without being held', async () => {
    const headers = { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }
    await send(`${server.url}/api/auth/login`, headers, async (write) => { await write('{}') }) // loads the route's code
    const { result, growthMb } = await measured(server.pid, () => send(`${server.url}/api/auth/login`, headers, async (write) => {
      if (await write('{"email":"a@b.c","password":"')) await zeros(20 * MB)(write)
    }))
    console.log(`chunked /api/auth/login 20 MB: ${result.status}, server RSS +${growthMb} MB`)
    expect(result.status).toBe(413)
    expect(JSON.parse(result.body).message).toBe('The request body is larger than 1 MB.')
    expect(growthMb).toBeLessThan(16)
    expect((await login(server)).length).toBeGreaterThan(0)
  })

  /** A JUnit upload whose body trickles in over `ms` milliseconds. */
  const slowUpload = (runKey: string, ms: number, signal?: AbortSignal) => send(
    runs(`project=limits&runKey=${runKey}`),
    { 'authorization': `Bearer ${key}`, 'content-type': 'application/xml', 'transfer-encoding': 'chunked' },
    async (write) => {
      if (!await write(JUNIT.slice(0, 20))) return
      await new Promise(r => setTimeout(r, ms))
      await write(JUNIT.slice(20))
    },
    signal,
  )

  it('admits PROOFDECK_INGEST_CONCURRENCY uploads per key at once; the others get 429 with Retry-After', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => slowUpload(`slow-${i}`, 1500)))
    const statuses = answers.map(a => a.status).sort()
    expect(statuses).toEqual([201, 201, 429, 429, 429])
    for (const a of answers.filter(x => x.status === 429)) {
      expect(Number(a.headers['retry-after'])).toBeGreaterThan(0)
      expect(JSON.parse(a.body).message).toMatch(/2 uploads.*PROOFDECK_INGEST_CONCURRENCY/)
    }
    const after = await slowUpload('slow-after', 0)
    expect(after.status).toBe(201)
  })

  it('frees the slots of uploads whose client went away', async () => {
    const gone = Array.from({ length: 2 }, (_, i) => {
      const abort = new AbortController()
      setTimeout(() => abort.abort(), 300)
      return slowUpload(`gone-${i}`, 5000, abort.signal).catch(() => null)
    })
    await Promise.all(gone)
    // the server frees a slot when it sees the client's socket close, within moments (200 ms idle; a CI machine under
    // load once took longer): asked again until then, never past 10 s
    let tries = 0
    await expect.poll(async () => (await slowUpload(`after-gone-${++tries}`, 0)).status, { timeout: 10_000, interval: 250 }).toBe(201)
  })
})
