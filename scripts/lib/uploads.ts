import { request as httpRequest } from 'node:http'

/** The admin the ingest benchmarks' servers are started with (bench:ingest, bench:ingest-ab). */
export const INGEST_ADMIN = { email: 'bench@example.test', password: 'bench-password-123' }

/** The environment of an ingest benchmark's server, on its database (`database.env`), from another build when given. */
export function ingestServerEnv(databaseEnv: Record<string, string>, buildDir?: string): Record<string, string> {
  return {
    ...databaseEnv, NUXT_SESSION_PASSWORD: 'bench-session-password-0123456789abcdef', PROOFDECK_ADMIN_EMAIL: INGEST_ADMIN.email,
    PROOFDECK_ADMIN_PASSWORD: INGEST_ADMIN.password, PROOFDECK_BCRYPT_COST: '4', PROOFDECK_MAX_UPLOAD_MB: '200',
    ...buildDir ? { PROOFDECK_BUILD_DIR: buildDir } : {},
  }
}

/** POSTs with node:http: fetch gives up on an answer that takes over 300 s (undici), as a 50 MB upload may under load. */
function request(url: string, headers: Record<string, string>, body: string): Promise<{ status: number, text: string, timing: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), timing: String(res.headers['server-timing'] ?? '') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** One upload (POST /api/v1/runs): its time, the tests its run counts and its steps; anything but a 201 throws. */
export async function postUpload(url: string, key: string, body: string, query: Record<string, string>, type: string) {
  const started = performance.now()
  const res = await request(`${url}/api/v1/runs?${new URLSearchParams(query)}`, { 'authorization': `Bearer ${key}`, 'content-type': type }, body)
  const json = JSON.parse(res.text) as { counts?: { tests: number }, message?: string }
  const ms = performance.now() - started
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${json.message}`)
  return { ms, tests: json.counts!.tests, steps: stepsOf(res.timing) }
}

/** The upload's `Server-Timing` (server/utils/steps.ts): ms per step of the server's work, in order. */
function stepsOf(timing: string): Map<string, number> {
  return new Map(timing.split(', ').filter(Boolean).map((part) => {
    const [name, dur] = part.split(';dur=')
    return [name!, Number(dur)]
  }))
}
