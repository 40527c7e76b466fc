/**
 * MCP latency and size: loads the demo dataset (through ingest) into a fresh database, then calls every tool with the
 * official SDK client against the built server and prints p50/p95 latency and response size per tool, plus the
 * protocol floor (ping, tools/list, a client's connect) and tools/list bytes.
 *
 *   npm run bench:mcp [-- --scale 1 --calls 200]      (DATABASE_URL=postgres://… to measure on Postgres)
 *   npm run bench:mcp -- --results 1000000             (the demo scale that gives about that many results)
 *   … --keep                 keep the Postgres database afterwards (its name is printed)
 *   … --reuse pd_bench_mcp_… measure on a database a --keep run left (no load; loading 1M results takes minutes)
 *   … --against <build dir>  also start another build (a copy of an older .output) on the same data and time both
 *                            call by call, in alternating order, so a loaded machine slows both alike (before → after)
 *   … --before <build dir>   also ask the agent path of another build the old way
 *   … --project <slug>       the project the calls ask about (default web)
 *   … --cluster <id>         the cluster the cluster calls ask about (default the project's most recently seen)
 *   … --history <title>      with --reuse: the section is "<title>: MCP tools on Postgres" (e.g. "10M results", a history
 *                            made as docs/scaling.md says) instead of the kept database's generic one
 *
 * Then the agent path (scripts/bench-mcp-agent.ts): the questions of issue 14 as a scripted sequence of calls.
 */
import { loadavg } from 'node:os'
import { existsSync } from 'node:fs'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { z } from 'zod'
import { benchDatabase, demoSize, type BenchDatabase } from './lib/bench-db'
import { machineLine, writeBenchmarkSection } from './lib/benchmarks'
import { benchOptions, count } from './lib/options'
import { createApiKeyAs, spawnServer, type SpawnedServer } from './lib/spawn-server'
import { agentPath, agentPathOn, describePath, type AgentPath } from './bench-mcp-agent'

const options = benchOptions({
  scale: z.coerce.number().positive().default(1),
  results: count(0, 0),
  before: z.string().optional(),
  against: z.string().optional(),
  calls: count(200),
  project: z.string().default('web'),
  cluster: z.string().optional(),
  history: z.string().optional(),
})
/** Results of the demo dataset at scale 1. */
const RESULTS_PER_SCALE = 25_730
const SCALE = options.results ? options.results / RESULTS_PER_SCALE : options.scale
const { before: BEFORE, against: AGAINST, calls: CALLS, cluster: CLUSTER } = options
/** The project whose runs, tests and clusters the calls ask about. */
const PROJECT = options.project
/** The named history a kept database holds: its own BENCHMARKS.md section. */
const HISTORY = options.history
const ADMIN = { email: 'bench@example.test', password: 'bench-password-123' }
const SERVER_ENV = {
  NUXT_SESSION_PASSWORD: 'bench-session-password-0123456789abcdef', PROOFDECK_ADMIN_EMAIL: ADMIN.email,
  PROOFDECK_ADMIN_PASSWORD: ADMIN.password, PROOFDECK_BCRYPT_COST: '4',
}
/** The peer's p50 at 50k results, as recorded in ../shared/notes/peer-bench.md (its own run, not this one). */
const PEER_P50: Record<string, number> = {
  'ping': 2.0, 'tools/list': 5.1, 'get_project': 4.0, 'list_runs': 3.9, 'get_run': 4.7, 'list_clusters': 3.9, 'get_cluster_diagnosis': 3.8,
  'list_failed_cases': 13.0, 'get_test_case': 17.5, 'list_flaky_tests': 194, 'get_cluster_context': 20.8,
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
const load = () => loadavg().map(l => l.toFixed(1)).join(' / ')

/** One build under test: its server, a connected SDK client and every call of the plan, resolved on its own data. */
interface Target { server: SpawnedServer, key: string, client: Client, ops: [string, () => Promise<number>][] }

async function connect(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'bench-mcp', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }))
  return client
}

async function target(server: SpawnedServer): Promise<Target> {
  const key = await createApiKeyAs(server.url, ADMIN, ['read'])
  const client = await connect(server.url, key)
  const tool = async (name: string, args: Record<string, unknown>) => {
    const r = await client.callTool({ name, arguments: args }) as { content: { text: string }[], isError?: boolean }
    if (r.isError) throw new Error(`${name}: ${r.content[0]!.text}`)
    return r.content[0]!.text
  }
  const items = async (name: string, args: Record<string, unknown>) => JSON.parse(await tool(name, args)).items
  const runs = await items('list_runs', { projectSlug: PROJECT, status: 'failed' })
  const flaky = [...await items('list_flaky_tests', { projectSlug: PROJECT }), ...await items('list_failed_cases', { projectSlug: PROJECT })]
  const clusterId = CLUSTER ?? (await items('list_clusters', { projectSlug: PROJECT }))[0].id
  const calls: [string, Record<string, unknown>][] = [
    ['list_projects', {}],
    ['get_project', { projectSlug: PROJECT }],
    ['list_runs', { projectSlug: PROJECT }],
    ['get_run', { runId: runs[0].id }],
    ['list_failed_cases', { projectSlug: PROJECT }],
    ['list_flaky_tests', { projectSlug: PROJECT }],
    ['get_test_case', { testCaseId: flaky[0].testCaseId }],
    ['list_clusters', { projectSlug: PROJECT }],
    ['get_cluster', { clusterId }],
    ['get_cluster_diagnosis', { clusterId }],
    ['get_cluster_context', { clusterId }],
  ]
  const floor: [string, () => Promise<number>][] = [
    ['ping', async () => (await client.ping(), 0)],
    ['tools/list', async () => JSON.stringify((await client.listTools()).tools).length],
    ['connect (initialize)', async () => {
      const c = await connect(server.url, key)
      await c.close()
      return 0
    }],
  ]
  const toolOps = calls.map(([name, args]) => [name, async () => (await tool(name, args)).length] as [string, () => Promise<number>])
  return { server, key, client, ops: [...floor, ...toolOps] }
}

/** Times every call of the plan, the targets asked in turn (the order alternating), after 10 warm-up calls each. */
async function measure(targets: Target[]): Promise<{ name: string, times: number[][], bytes: number }[]> {
  const out = []
  for (const [i, [name]] of targets[0]!.ops.entries()) {
    for (const t of targets) for (let w = 0; w < 10; w++) await t.ops[i]![1]()
    const times: number[][] = targets.map(() => [])
    let bytes = 0
    for (let c = 0; c < CALLS; c++) {
      const order = c % 2 ? [...targets.keys()].reverse() : [...targets.keys()]
      for (const k of order) {
        const started = performance.now()
        bytes = await targets[k]!.ops[i]![1]()
        times[k]!.push(performance.now() - started)
      }
    }
    for (const t of times) t.sort((a, b) => a - b)
    out.push({ name, times, bytes })
    const figures = times.map(t => `${quantile(t, 0.5).toFixed(2)} / ${quantile(t, 0.95).toFixed(2)} ms`).join('  vs  ')
    console.log(`${name.padEnd(22)} ${figures}  (load ${load()})`)
  }
  return out
}

/** The other build on the same data: the same Postgres database (read only), or its own PGlite with the same demo. */
async function startAgainst(db: BenchDatabase): Promise<{ server: SpawnedServer, db: BenchDatabase | null }> {
  const own = db.label === 'PGlite' ? await benchDatabase('pd_bench_mcp_against', 'PGlite') : null
  const server = await spawnServer({
    ...(own ?? db).env, ...SERVER_ENV, PROOFDECK_BUILD_DIR: AGAINST!, PROOFDECK_DEMO: own ? '1' : '0', PROOFDECK_DEMO_SCALE: String(SCALE),
  }, { timeoutMs: 120_000 * Math.max(1, SCALE) })
  if (own) await demoSize(own, server.output)
  return { server, db: own }
}

async function main() {
  if (!existsSync('.output/server/index.mjs')) throw new Error('Build first: npm run build')
  const db = await benchDatabase('pd_bench_mcp')
  const server = await spawnServer({
    ...db.env, ...SERVER_ENV, PROOFDECK_DEMO: db.reused ? '0' : '1', PROOFDECK_DEMO_SCALE: String(SCALE),
  }, { timeoutMs: 120_000 * Math.max(1, SCALE) }) // PGlite answers health only between demo-load transactions
  let against: Awaited<ReturnType<typeof startAgainst>> | undefined
  try {
    const loaded = await demoSize(db, server.output)
    if (AGAINST) against = await startAgainst(db)
    const targets = [...(against ? [await target(against.server)] : []), await target(server)]
    const loadBefore = load()
    const rows = await measure(targets)
    const listBytes = rows.find(r => r.name === 'tools/list')!.bytes
    const p = (t: number[]) => `${quantile(t, 0.5).toFixed(1)} ms | ${quantile(t, 0.95).toFixed(1)} ms`
    const peer = (name: string) => (PEER_P50[name] ? `${PEER_P50[name]} ms` : '—')
    const size = (r: { name: string, bytes: number }) => (r.name.includes('_') ? `${r.bytes.toLocaleString('en')} chars (~${Math.round(r.bytes / 4).toLocaleString('en')} tokens)` : '')
    const table = against
      ? ['| Call | before p50 | before p95 | after p50 | after p95 | after / before (p50) | peer p50 (recorded) |', '|---|---|---|---|---|---|---|',
          ...rows.map(r => `| \`${r.name}\` | ${p(r.times[0]!)} | ${p(r.times[1]!)} | ${(quantile(r.times[1]!, 0.5) / quantile(r.times[0]!, 0.5)).toFixed(2)} | ${peer(r.name)} |`)]
      : ['| Call | p50 | p95 | Default response | peer p50 (recorded) |', '|---|---|---|---|---|',
          ...rows.map(r => `| \`${r.name}\` | ${p(r.times[0]!)} | ${size(r)} | ${peer(r.name)} |`)]
    const how = against
      ? `Two builds on the same data, each called ${CALLS} times per row with the official SDK client (legacy era, after 10 warm-up calls), call by call in alternating order so that the machine's load weighs on both alike: **before** is the build in \`${AGAINST}\`, **after** this one`
      : `Each call is made ${CALLS} times with the official SDK client (legacy era, after 10 warm-up calls) against the built server, one at a time`
    const data = db.reused ? 'a kept database' : `demo scale ${+SCALE.toFixed(2)}`
    const loadedHow = db.reused ? `the kept database named by --reuse` : `demo dataset at scale ${+SCALE.toFixed(2)}, loaded through ingest`
    const title = HISTORY ? `${HISTORY}: MCP tools on ${db.label}` : `MCP on ${db.label}, ${data}${AGAINST ? ', before → after' : ''}`
    writeBenchmarkSection(title, 'bench:mcp', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, load average (1 / 5 / 15 min) ${loadBefore} at the start and ${load()} at the end, ${db.label}, ${loadedHow} (${loaded[0].toLocaleString('en')} runs, ${loaded[1].toLocaleString('en')} results). ${how}; latency is the whole request as the client sees it (key check, the SDK, the queries, HTTP). \`connect\` is a new client's handshake (\`initialize\`, then \`notifications/initialized\`). The peer column is Piwi Dashboard's p50 at 50k results from ../shared/notes/peer-bench.md (its own data and run, not this one). Response size is the tool's text (a token is ~4 characters). \`tools/list\`: **${listBytes.toLocaleString('en')} bytes** of tool definitions.

${table.join('\n')}`)
    for (const t of targets) await t.client.close()
    // the agent path's questions are about the demo dataset: a kept database may hold anything
    if (!db.reused) await benchAgentPath(await agentPath(server.url, targets.at(-1)!.key, 'after'), db.label)
  }
  finally {
    await against?.server.kill()
    await against?.db?.drop()
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
