import { TEST_ADMIN, type TestServer } from './server'

/** Signs in as the test admin and returns the session cookie. */
export async function login(server: TestServer, creds = TEST_ADMIN): Promise<string> {
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(creds),
  })
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`)
  return res.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
}

/** Creates an API key through the dashboard API, as the given session. */
export async function createKey(
  server: TestServer, cookie: string, body: { name?: string, scopes: string[], projectSlug?: string, expiresInDays?: number },
) {
  const res = await fetch(`${server.url}/api/keys`, {
    method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'test', ...body }),
  })
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`)
  return await res.json() as { id: string, key: string, prefix: string }
}

export interface UploadOptions {
  key: string
  query?: Record<string, string>
  headers?: Record<string, string>
}

/** POSTs files to the ingest endpoint: one file raw, several as multipart. */
export async function upload(
  server: TestServer, files: { name: string, content: string | Uint8Array, field?: string }[], opts: UploadOptions,
) {
  const qs = new URLSearchParams(opts.query ?? {}).toString()
  let body: BodyInit
  const headers: Record<string, string> = { authorization: `Bearer ${opts.key}`, ...opts.headers }
  if (files.length === 1 && !opts.headers?.['content-type']?.startsWith('multipart')) {
    body = files[0]!.content as BodyInit
    headers['x-proofdeck-filename'] ??= files[0]!.name
    headers['content-type'] ??= files[0]!.name.endsWith('.json') ? 'application/json' : 'application/xml'
  }
  else {
    const form = new FormData()
    for (const f of files) form.append(f.field ?? 'file', new Blob([f.content as BlobPart]), f.name)
    body = form
    delete headers['content-type']
  }
  const res = await fetch(`${server.url}/api/v1/runs${qs ? `?${qs}` : ''}`, { method: 'POST', headers, body })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  }
  catch {
    json = { raw: text }
  }
  return { status: res.status, body: json, headers: res.headers }
}

/** Calls an MCP tool over /mcp with a read key: its answer's JSON, or an error saying what came back instead. */
export async function callTool(server: TestServer, readKey: string, name: string, args: Record<string, unknown>) {
  const res = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept': 'application/json', 'authorization': `Bearer ${readKey}`, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  })
  const body = await res.json() as any
  if (!body.result || body.result.isError) throw new Error(`${name} answered ${JSON.stringify(body)}`)
  return JSON.parse(body.result.content[0].text)
}

interface ListedRun {
  startedAt: string
  branch: string | null
  durationMs: number | null
  counts: { tests: number, passed: number, skipped: number }
}

/**
 * The trend points (GET /api/projects/:slug/trends) the listed runs add up to, keyed "day branch": runs, passed and
 * executed tests, mean duration of the runs that have one. The trends read day rollups; this is what they must equal.
 */
export function trendOfRuns(runs: ListedRun[], since: string) {
  const sums = new Map<string, { runs: number, passed: number, executed: number, ms: number, timed: number }>()
  for (const r of runs.filter(r => r.startedAt >= since)) {
    const k = `${r.startedAt.slice(0, 10)} ${r.branch ?? ''}`
    const e = sums.get(k) ?? { runs: 0, passed: 0, executed: 0, ms: 0, timed: 0 }
    sums.set(k, { runs: e.runs + 1, passed: e.passed + r.counts.passed, executed: e.executed + r.counts.tests - r.counts.skipped,
      ms: e.ms + (r.durationMs ?? 0), timed: e.timed + (r.durationMs == null ? 0 : 1) })
  }
  return Object.fromEntries([...sums].map(([k, e]) => [k, { day: k.slice(0, 10), branch: k.slice(11) || null, runs: e.runs,
    passed: e.passed, executed: e.executed, durationMs: e.timed ? Math.round(e.ms / e.timed) : null }]))
}

/** Trend points keyed as trendOfRuns keys them. */
export const trendByDay = (points: { day: string, branch: string | null }[]) => Object.fromEntries(points.map(p => [`${p.day} ${p.branch ?? ''}`, p]))
