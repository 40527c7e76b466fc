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
  return { status: res.status, body: json }
}
