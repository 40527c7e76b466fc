/**
 * The official MCP tools against the built server: the Inspector CLI (tools/list, one tools/call) and the
 * conformance scenarios that apply to a tools-only stateless server, both under Node 22 through npx.
 *
 *   npm run build && npm run test:mcp-conformance
 *
 * The server runs on a fresh PGlite directory with the demo dataset and a `read` key. The conformance runner cannot
 * send headers, so it talks to a loopback proxy that adds `Authorization: Bearer <key>` and forwards everything else
 * untouched (Host and Origin included, which the DNS-rebinding scenario depends on). Prints `PASS name` or
 * `FAIL name: why` per step and ends with `mcp-conformance: N passed, M failed`; exits 1 on any failure.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createApiKeyAs, spawnServer } from './lib/spawn-server'

const INSPECTOR = '@modelcontextprotocol/inspector@2.12.0'
const CONFORMANCE = '@modelcontextprotocol/conformance@0.2.0-alpha.12'
const BASELINE = resolve('test/mcp/conformance-baseline.yml')
const ADMIN = { email: 'conformance@example.test', password: 'conformance-password-123' }
const TOOL_NAMES = ['list_projects', 'get_project', 'list_runs', 'get_run', 'list_failed_cases', 'list_flaky_tests', 'get_test_case',
  'list_clusters', 'get_cluster', 'get_cluster_diagnosis', 'get_cluster_context']

/** [scenario, --spec-version or null for the runner's default, baseline file or null] */
const SCENARIOS: [string, string | null, string | null][] = [
  ['server-initialize', null, null],
  ['ping', null, null],
  ['tools-list', null, null],
  ['dns-rebinding-protection', null, null],
  ['tools-list', '2026-07-28', null],
  ['http-header-validation', '2026-07-28', null],
  ['server-stateless', '2026-07-28', BASELINE],
]

interface Run {
  code: number
  out: string
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 180_000): Promise<Run> {
  return new Promise((res) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      res({ code, out: `${stdout}${stderr}` })
    })
  })
}

/**
 * Installs (or finds in the npx cache) Node 22 plus one package, and returns a PATH that puts both first: one npx
 * call per package instead of one per step, so a warm run pays npx's resolution twice, not nine times.
 */
async function node22Path(pkg: string): Promise<string> {
  const r = await run('npx', ['-y', '-p', 'node@22', '-p', pkg, '-c', 'command -v node'])
  const node = r.out.trim().split('\n').reverse().find(l => l.startsWith('/') && l.endsWith('/node'))
  if (r.code !== 0 || !node) throw new Error(`npx could not provide Node 22 with ${pkg}: ${r.out.trim().split('\n').slice(-3).join(' | ')}`)
  return `${dirname(node)}:${process.env.PATH}`
}

/**
 * A loopback HTTP proxy that adds the Authorization header and forwards everything else as it came. It listens before
 * the server starts (the server is told the proxy's URL as its public URL); `to` names the upstream and key later.
 */
function authProxy(): Promise<{ url: string, server: Server, to: (target: string, key: string) => void }> {
  let upstream: URL | undefined
  let bearer = ''
  const server = createServer((req, res) => {
    if (!upstream) {
      res.writeHead(503).end()
      return
    }
    const forward = request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      headers: { ...req.headers, authorization: `Bearer ${bearer}` },
    }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    forward.on('error', (err) => {
      res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`proxy: ${err.message}`)
    })
    req.pipe(forward)
  })
  return new Promise((res) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      res({ url: `http://127.0.0.1:${port}`, server, to: (target, key) => {
        upstream = new URL(target)
        bearer = key
      } })
    })
  })
}

/** The failed checks of a conformance run, from the checks.json files it wrote. */
function failedChecks(dir: string): string[] {
  const failed: string[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name === 'checks.json') {
        for (const c of JSON.parse(readFileSync(p, 'utf8')) as { id: string, status: string, errorMessage?: string }[]) {
          if (c.status === 'FAILURE') failed.push(`${c.id}${c.errorMessage ? ` (${c.errorMessage.slice(0, 160)})` : ''}`)
        }
      }
    }
  }
  if (existsSync(dir)) walk(dir)
  return failed
}

const lastLines = (text: string, n = 3) => text.trim().split('\n').filter(l => l.trim() && !l.startsWith('npm warn')).slice(-n).join(' | ')

async function main() {
  if (!existsSync('.output/server/index.mjs')) throw new Error('Build first: npm run build')
  const started = performance.now()
  const results: { name: string, ok: boolean, seconds: number }[] = []
  const step = async (name: string, body: () => Promise<string | null>) => {
    const t = performance.now()
    let why: string | null
    try {
      why = await body()
    }
    catch (err) {
      why = err instanceof Error ? err.message : String(err)
    }
    const seconds = (performance.now() - t) / 1000
    results.push({ name, ok: why === null, seconds })
    console.log(why === null ? `PASS ${name}` : `FAIL ${name}: ${why}`)
  }

  const dir = mkdtempSync(join(tmpdir(), 'pd-mcp-conformance-'))
  const proxy = await authProxy()
  // the public URL is the one origin browsers may call /mcp from: what dns-rebinding-protection checks
  const server = await spawnServer({
    PROOFDECK_PUBLIC_URL: proxy.url, PROOFDECK_DATA_DIR: join(dir, 'pglite'), PROOFDECK_DEMO: '1', PROOFDECK_DEMO_SCALE: '0.1',
    NUXT_SESSION_PASSWORD: 'conformance-session-password-0123456789', PROOFDECK_BCRYPT_COST: '4',
    PROOFDECK_ADMIN_EMAIL: ADMIN.email, PROOFDECK_ADMIN_PASSWORD: ADMIN.password,
  }, { timeoutMs: 120_000 }).catch((err) => {
    proxy.server.close()
    throw err
  })
  try {
    const deadline = Date.now() + 150_000
    while (!/demo data (loaded|not loaded)/.test(server.output())) {
      if (Date.now() > deadline) throw new Error(`the demo dataset did not load:\n${server.output()}`)
      await new Promise(r => setTimeout(r, 200))
    }
    if (/demo data not loaded/.test(server.output())) throw new Error(server.output())
    const key = await createApiKeyAs(server.url, ADMIN, ['read'])
    const mcpUrl = `${server.url}/mcp`
    const toolList = await fetch(mcpUrl, {
      method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      headers: { 'content-type': 'application/json', 'accept': 'application/json', 'authorization': `Bearer ${key}`, 'mcp-protocol-version': '2025-06-18' },
    }).then(r => r.text())
    const setupSeconds = (performance.now() - started) / 1000

    const npxStarted = performance.now()
    const [inspectorPath, conformancePath] = [
      await node22Path(INSPECTOR).catch((e: Error) => e),
      await node22Path(CONFORMANCE).catch((e: Error) => e),
    ]
    const npxSeconds = (performance.now() - npxStarted) / 1000

    const inspector = async (args: string[]) => {
      if (inspectorPath instanceof Error) throw inspectorPath
      const r = await run('mcp-inspector', ['--cli', mcpUrl, '--transport', 'http', '--header', `Authorization: Bearer ${key}`, ...args], { ...process.env, PATH: inspectorPath })
      if (r.code !== 0) throw new Error(`exit ${r.code}: ${lastLines(r.out)}`)
      return JSON.parse(r.out.slice(r.out.indexOf('{'))) as Record<string, unknown>
    }
    await step('inspector tools/list', async () => {
      const out = await inspector(['--method', 'tools/list'])
      const tools = ((out.result ?? out) as { tools?: { name: string, annotations?: { readOnlyHint?: boolean } }[] }).tools ?? []
      const names = tools.map(t => t.name)
      if (names.join() !== TOOL_NAMES.join()) return `expected the eleven tools in order, got ${names.join(', ') || 'none'}`
      if (!tools.every(t => t.annotations?.readOnlyHint)) return 'a tool lacks readOnlyHint: true'
      return null
    })
    await step('inspector tools/call list_projects', async () => {
      const out = await inspector(['--method', 'tools/call', '--tool-name', 'list_projects', '--format', 'json'])
      const result = (out.result ?? out) as { isError?: boolean, content?: { text?: string }[] }
      if (result.isError) return `isError: ${result.content?.[0]?.text}`
      const slugs = (JSON.parse(result.content?.[0]?.text ?? '{}') as { items?: { slug: string }[] }).items?.map(p => p.slug) ?? []
      return slugs.includes('web') ? null : `the demo project "web" is missing from ${JSON.stringify(slugs)}`
    })

    proxy.to(server.url, key)
    for (const [scenario, spec, baseline] of SCENARIOS) {
      const name = `conformance ${scenario}${spec ? ` @${spec}` : ''}`
      await step(name, async () => {
        if (conformancePath instanceof Error) throw conformancePath
        const out = join(dir, `results-${scenario}-${spec ?? 'default'}`)
        const args = ['server', '--url', `${proxy.url}/mcp`, '--scenario', scenario, '-o', out,
          ...(spec ? ['--spec-version', spec] : []), ...(baseline ? ['--expected-failures', baseline] : [])]
        const r = await run('conformance', args, { ...process.env, PATH: conformancePath })
        if (r.code === 0) return null
        if (process.env.MCP_CONFORMANCE_VERBOSE) console.log(r.out)
        // with a baseline the runner lists what is unexpected or stale; without one every failed check counts
        const flagged = [...r.out.matchAll(/^\s+([✗✓]) (\S+)\s*$/gm)].map(m => `${m[1] === '✗' ? 'unexpected failure' : 'stale baseline entry (now passes)'} ${m[2]}`)
        const failed = flagged.length ? flagged : failedChecks(out)
        return failed.length ? failed.join('; ') : `exit ${r.code}: ${lastLines(r.out)}`
      })
    }
    const passed = results.filter(r => r.ok).length
    const slowest = [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 3).map(r => `${r.name} ${r.seconds.toFixed(1)} s`).join(', ')
    console.log(`mcp-conformance: ${((performance.now() - started) / 1000).toFixed(1)} s in all (server + demo data + key ${setupSeconds.toFixed(1)} s, npx ${npxSeconds.toFixed(1)} s; slowest: ${slowest}); tools/list ${Buffer.byteLength(toolList)} bytes`)
    console.log(`mcp-conformance: ${passed} passed, ${results.length - passed} failed`)
    process.exitCode = passed === results.length ? 0 : 1
  }
  finally {
    proxy.server.close()
    await server.kill()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  console.log('mcp-conformance: 0 passed, 1 failed')
  process.exit(1)
})
