/**
 * The agent path: the developer questions of issue 14 asked of the demo data through /mcp with the official SDK client,
 * as a scripted sequence of calls, counting calls and the bytes of tool text a model reads.
 *
 *   Which tests are flaky and which broken? Since when, from which commit? What broke the latest run, what to fix
 *   first? How sure is the flaky score?
 *
 * `after` asks with the answers of this build (list_flaky_tests label any, get_run's triage, failingSince when the rows
 * carry it); `before` asks as an agent had to with the shapes before issue 14 (flaky and broken listed apart, each
 * broken test's history crawled for its streak, get_run's rows, get_cluster per failure group).
 *
 *   npm run bench:mcp                           runs it after the tool latencies, on the same server
 *   npx tsx scripts/bench-mcp-agent.ts [--before <build dir>] [--scale 1]
 *                                               alone, on fresh demo databases; --before also runs the `before` path
 *                                               on another build (e.g. a copy of main's .output)
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { z } from 'zod'
import { benchDatabase } from './lib/bench-db'
import { benchOptions } from './lib/options'
import { createApiKeyAs, spawnServer } from './lib/spawn-server'

type Strategy = 'before' | 'after'
interface Call { tool: string, bytes: number }
export interface AgentPath { strategy: Strategy, calls: Call[], bytes: number, answers: Record<string, number> }

const ADMIN = { email: 'bench@example.test', password: 'bench-password-123' }
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of eleven shapes; the script reads a field or two
type Json = Record<string, any>

async function connect(url: string, key: string) {
  const client = new Client({ name: 'bench-agent', version: '1.0.0' })
  const requestInit = { headers: { authorization: `Bearer ${key}` } }
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit }))
  return client
}

/** Asks the questions of issue 14 with one strategy; every call is counted with the bytes of its text. */
export async function agentPath(url: string, key: string, strategy: Strategy): Promise<AgentPath> {
  const client = await connect(url, key)
  const calls: Call[] = []
  const ask = async (tool: string, args: Json = {}): Promise<Json> => {
    const r = await client.callTool({ name: tool, arguments: args }) as { content: { text: string }[], isError?: boolean }
    const text = r.content[0]!.text
    if (r.isError) throw new Error(`${tool}: ${text}`)
    calls.push({ tool, bytes: Buffer.byteLength(text) })
    try {
      return JSON.parse(text)
    }
    catch {
      return {} // an answer cut at the size cap (before issue 14) is not JSON: the agent still read it
    }
  }
  try {
    // before issue 14 an empty list was {} (no items)
    const itemsOf = (page: Json) => (page.items ?? []) as Json[]
    const projects = itemsOf(await ask('list_projects'))
    let flaky = 0
    let broken = 0
    let since = 0
    for (const p of projects) {
      // which are flaky, which broken, how sure (confidence, sample), and since when for the broken ones
      const labelled = strategy === 'after'
        ? itemsOf(await ask('list_flaky_tests', { projectSlug: p.slug, label: 'any', limit: 100 }))
        : [...itemsOf(await ask('list_flaky_tests', { projectSlug: p.slug, label: 'flaky', limit: 100 })),
            ...itemsOf(await ask('list_flaky_tests', { projectSlug: p.slug, label: 'broken', limit: 100 }))]
      flaky += labelled.filter(t => t.label === 'flaky').length
      for (const t of labelled.filter(t => t.label === 'broken')) {
        broken++
        if (strategy === 'after' && t.failingSince) since++
        // the streak's first run is in the history: 40 rows cover the demo's longest streak
        else if ((await ask('get_test_case', { testCaseId: t.testCaseId, ...(strategy === 'before' ? { history: 40 } : {}) })).history) {
          since++
        }
      }
    }
    // what broke each project's latest run, and what to fix first
    let groups = 0
    let fixes = 0
    for (const p of projects.filter(p => p.latestRun?.status === 'failed')) {
      const run = await ask('get_run', { runId: p.latestRun.id })
      const causes = (run.failureGroups ?? []) as Json[]
      groups += causes.length
      if (strategy === 'before') for (const g of causes.filter(g => g.clusterId)) await ask('get_cluster', { clusterId: g.clusterId })
      const first = causes.find(g => g.clusterId)
      if (first && !fixes) {
        await ask('get_cluster_diagnosis', { clusterId: first.clusterId })
        fixes++
      }
    }
    return { strategy, calls, bytes: calls.reduce((n, c) => n + c.bytes, 0), answers: { flaky, broken, since, groups, fixes } }
  }
  finally {
    await client.close()
  }
}

/** A one-line account of a path: calls, bytes, calls per tool. */
export function describePath(p: AgentPath): string {
  const perTool = new Map<string, number>()
  for (const c of p.calls) perTool.set(c.tool, (perTool.get(c.tool) ?? 0) + 1)
  const tools = [...perTool].map(([t, n]) => `${t} ×${n}`).join(', ')
  return `| ${p.strategy} | ${p.calls.length} | ${(p.bytes / 1024).toFixed(1)} KB | ${tools} |`
}

/** A build (`.output` or another one's copy) on a fresh demo database, and the path asked of it. */
export async function agentPathOn(buildDir: string | undefined, scale: number, strategy: Strategy): Promise<AgentPath> {
  const previous = process.env.PROOFDECK_BUILD_DIR
  if (buildDir) process.env.PROOFDECK_BUILD_DIR = buildDir
  const db = await benchDatabase('pd_bench_agent', 'PGlite')
  const server = await spawnServer({
    ...db.env, PROOFDECK_DEMO: '1', PROOFDECK_DEMO_SCALE: String(scale), NUXT_SESSION_PASSWORD: 'bench-session-password-0123456789abcdef',
    PROOFDECK_ADMIN_EMAIL: ADMIN.email, PROOFDECK_ADMIN_PASSWORD: ADMIN.password, PROOFDECK_BCRYPT_COST: '4',
  }, { timeoutMs: 240_000 })
  if (buildDir && previous === undefined) delete process.env.PROOFDECK_BUILD_DIR
  else if (buildDir) process.env.PROOFDECK_BUILD_DIR = previous
  try {
    while (!/demo data (loaded|not loaded)/.test(server.output())) await new Promise(r => setTimeout(r, 500))
    return await agentPath(server.url, await createApiKeyAs(server.url, ADMIN, ['read']), strategy)
  }
  finally {
    await server.kill()
    await db.drop()
  }
}

async function main() {
  const { scale, before } = benchOptions({ scale: z.coerce.number().positive().default(1), before: z.string().optional() })
  const paths = [await agentPathOn(undefined, scale, 'after')]
  if (before) paths.unshift(await agentPathOn(before, scale, 'before'))
  for (const p of paths) console.log(describePath(p), JSON.stringify(p.answers))
}

if (process.argv[1]?.endsWith('bench-mcp-agent.ts')) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
