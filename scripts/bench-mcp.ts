/**
 * MCP latency and size: loads the demo dataset (through ingest) into a fresh database, then calls every tool
 * over HTTP against the built server and prints p50/p95 latency and response size per tool, plus tools/list bytes.
 *
 *   npm run bench:mcp [-- --scale 1 --calls 200]      (DATABASE_URL=postgres://… to measure on Postgres)
 *   npm run bench:mcp -- --scale 40 --calls 100        (~1M results: the size the targets are set for)
 *   … --keep                 keep the Postgres database afterwards (its name is printed)
 *   … --reuse pd_bench_mcp_… measure on a database a --keep run left (no load; loading 1M results takes minutes)
 *   … --before <build dir>   also ask the agent path of another build (a copy of an older .output) the old way
 *
 * Then the agent path (scripts/bench-mcp-agent.ts): the questions of issue 14 as a scripted sequence of calls.
 */
import { existsSync } from 'node:fs'
import { benchDatabase, demoSize } from './lib/bench-db'
import { machineLine, writeBenchmarkSection } from './lib/benchmarks'
import { createApiKeyAs, spawnServer } from './lib/spawn-server'
import { agentPath, agentPathOn, describePath, type AgentPath } from './bench-mcp-agent'

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const SCALE = arg('scale', 1)
const BEFORE = process.argv.includes('--before') ? process.argv[process.argv.indexOf('--before') + 1] : undefined
const CALLS = arg('calls', 200)
const ADMIN = { email: 'bench@example.test', password: 'bench-password-123' }

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

async function main() {
  if (!existsSync('.output/server/index.mjs')) throw new Error('Build first: npm run build')
  const db = await benchDatabase('pd_bench_mcp')
  const server = await spawnServer({
    ...db.env, PROOFDECK_DEMO: db.reused ? '0' : '1', PROOFDECK_DEMO_SCALE: String(SCALE), NUXT_SESSION_PASSWORD: 'bench-session-password-0123456789abcdef',
    PROOFDECK_ADMIN_EMAIL: ADMIN.email, PROOFDECK_ADMIN_PASSWORD: ADMIN.password, PROOFDECK_BCRYPT_COST: '4',
  }, { timeoutMs: 120_000 * Math.max(1, SCALE) }) // PGlite answers health only between demo-load transactions
  try {
    const loaded = await demoSize(db, server.output)
    const key = await createApiKeyAs(server.url, ADMIN, ['read'])
    let id = 0
    const rpc = async (method: string, params?: unknown) => {
      const started = performance.now()
      const res = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept': 'application/json', 'authorization': `Bearer ${key}`, 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      })
      const text = await res.text()
      return { ms: performance.now() - started, text, json: JSON.parse(text) }
    }
    const tool = async (name: string, args: Record<string, unknown>) => {
      const r = await rpc('tools/call', { name, arguments: args })
      if (r.json.result?.isError) throw new Error(`${name}: ${r.json.result.content[0].text}`)
      return { ...r, data: JSON.parse(r.json.result.content[0].text) }
    }

    const list = await rpc('tools/list')
    const runs = (await tool('list_runs', { projectSlug: 'web', status: 'failed' })).data.items
    const flaky = (await tool('list_flaky_tests', { projectSlug: 'web' })).data.items
    const clusters = (await tool('list_clusters', { projectSlug: 'web' })).data.items
    const calls: [string, Record<string, unknown>][] = [
      ['list_projects', {}],
      ['get_project', { projectSlug: 'web' }],
      ['list_runs', { projectSlug: 'web' }],
      ['get_run', { runId: runs[0].id }],
      ['list_failed_cases', { projectSlug: 'web' }],
      ['list_flaky_tests', { projectSlug: 'web' }],
      ['get_test_case', { testCaseId: flaky[0].testCaseId }],
      ['list_clusters', { projectSlug: 'web' }],
      ['get_cluster', { clusterId: clusters[0].id }],
      ['get_cluster_diagnosis', { clusterId: clusters[0].id }],
      ['get_cluster_context', { clusterId: clusters[0].id }],
    ]
    const rows: string[] = []
    for (const [name, args] of calls) {
      for (let i = 0; i < 10; i++) await tool(name, args)
      const times: number[] = []
      let bytes = 0
      for (let i = 0; i < CALLS; i++) {
        const r = await tool(name, args)
        times.push(r.ms)
        bytes = r.json.result.content[0].text.length
      }
      times.sort((a, b) => a - b)
      const line = `| \`${name}\` | ${quantile(times, 0.5).toFixed(1)} ms | ${quantile(times, 0.95).toFixed(1)} ms | ${bytes.toLocaleString('en')} chars (~${Math.round(bytes / 4).toLocaleString('en')} tokens) |`
      console.log(line)
      rows.push(line)
    }
    const listBytes = Buffer.byteLength(list.text)
    console.log(`tools/list: ${listBytes} bytes`)
    writeBenchmarkSection(`MCP on ${db.label}, demo scale ${SCALE}`, 'bench:mcp', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, ${db.label}, demo dataset at scale ${SCALE} (${loaded[0].toLocaleString('en')} runs, ${loaded[1].toLocaleString('en')} results) loaded through ingest. Each tool is called ${CALLS} times over HTTP (JSON-RPC \`tools/call\`, legacy era, after 10 warm-up calls) against the built server, one call at a time; latency is the whole request including key check and the SDK. Response size is the tool's text (a token is ~4 characters). \`tools/list\`: **${listBytes.toLocaleString('en')} bytes** (target 4 KB, 8 KB with the output schemas).

| Tool | p50 | p95 | Default response |
|---|---|---|---|
${rows.join('\n')}`)
    await benchAgentPath(await agentPath(server.url, key, 'after'), db.label)
  }
  finally {
    await server.kill()
    await db.drop()
  }
}

/** The agent path's section: this build's calls and bytes, and the old way on another build when --before names one. */
async function benchAgentPath(after: AgentPath, label: string) {
  const paths = [...(BEFORE ? [await agentPathOn(BEFORE, SCALE, 'before')] : []), after]
  const lines = paths.map(describePath)
  for (const [i, p] of paths.entries()) console.log(lines[i], JSON.stringify(p.answers))
  writeBenchmarkSection(`MCP agent path, demo scale ${SCALE}`, 'bench:mcp', `Measured ${new Date().toISOString().slice(0, 10)} on ${label}${BEFORE ? ' (the before row on PGlite, on the build named by --before)' : ''}. The questions of issue 14 (which tests are flaky and which broken, since when and from which commit, what broke each project's latest run and what to fix first, how sure the flaky score is) asked as a scripted sequence of \`tools/call\` with the official SDK client (\`scripts/bench-mcp-agent.ts\`); bytes are the tool text a model reads (each answer's structuredContent spells the same JSON). \`before\` asks with the shapes an agent had before issue 14, \`after\` with this build's. Target: at most 12 calls and 60 KB (an agent exploring on its own needed 42 calls and 460 KB before, per the issue).

| Path | Calls | Bytes | Calls per tool |
|---|---|---|---|
${lines.join('\n')}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
