import { get } from 'node:http'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAILURE_CATEGORIES } from '../../shared/constants'
import { freshDatabase, runServerToExit, startServer, type TestServer } from './server'

async function listColumns(query: (sql: string) => Promise<Record<string, unknown>[]>) {
  const rows = await query(`select table_name, column_name, data_type, is_nullable from information_schema.columns
    where table_schema = 'public' order by table_name, column_name`)
  return rows.map(r => `${r.table_name}.${r.column_name} ${r.data_type} ${r.is_nullable}`)
}

/** Each enum type's values in their order, `failure_category: timeout locator …`. */
async function listEnums(query: (sql: string) => Promise<Record<string, unknown>[]>) {
  const rows = await query(`select t.typname as name, string_agg(e.enumlabel, ' ' order by e.enumsortorder) as labels
    from pg_type t join pg_enum e on e.enumtypid = t.oid join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = 'public' group by t.typname order by t.typname`)
  return rows.map(r => `${r.name}: ${r.labels}`)
}

describe('database', () => {
  it('migrations produce the same tables and columns on PGlite and on Postgres', async () => {
    const { PGlite } = await import('@electric-sql/pglite')
    const { drizzle } = await import('drizzle-orm/pglite')
    const { migrate } = await import('drizzle-orm/pglite/migrator')
    const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
    const lite = await PGlite.create('memory://', { extensions: { pg_trgm } })
    await migrate(drizzle(lite), { migrationsFolder: resolve('drizzle') })
    const liteColumns = await listColumns(async q => (await lite.query<Record<string, unknown>>(q)).rows)
    const liteEnums = await listEnums(async q => (await lite.query<Record<string, unknown>>(q)).rows)
    await lite.close()
    // every category the code may store is a value of the column's enum, in the code's order (`build` came in 0034)
    expect(liteEnums).toContain(`failure_category: ${FAILURE_CATEGORIES.join(' ')}`)

    const tables = new Set(liteColumns.map(c => c.split('.')[0]))
    for (const t of ['users', 'projects', 'project_memberships', 'api_keys', 'runs', 'run_uploads', 'test_cases', 'test_results', 'test_attempts', 'failure_clusters', 'diagnoses']) {
      expect(tables).toContain(t)
    }
    if (!process.env.TEST_DATABASE_URL) return

    const db = await freshDatabase()
    const { default: postgres } = await import('postgres')
    const { drizzle: pgDrizzle } = await import('drizzle-orm/postgres-js')
    const { migrate: pgMigrate } = await import('drizzle-orm/postgres-js/migrator')
    const client = postgres(db.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
    await pgMigrate(pgDrizzle(client), { migrationsFolder: resolve('drizzle') })
    const pgColumns = await listColumns(q => client.unsafe(q) as Promise<Record<string, unknown>[]>)
    const pgEnums = await listEnums(q => client.unsafe(q) as Promise<Record<string, unknown>[]>)
    await client.end()
    await db.drop()
    expect(pgColumns).toEqual(liteColumns)
    expect(pgEnums).toEqual(liteEnums)
  })

  it('the server refuses to start on an unreachable DATABASE_URL, with a one-line reason and no password', async () => {
    const { code, output } = await runServerToExit({ DATABASE_URL: 'postgres://proofdeck:s3cret-pw@127.0.0.1:9/proofdeck', NUXT_SESSION_PASSWORD: 'x'.repeat(40) })
    expect(code).toBe(1)
    const line = output.split('\n').find(l => l.includes('cannot start'))
    expect(line).toMatch(/cannot start: cannot reach PostgreSQL at postgres:\/\/proofdeck:\*\*\*@127\.0\.0\.1:9\/proofdeck/)
    expect(output).not.toContain('s3cret-pw')
  })
})

describe('health', () => {
  let server: TestServer
  beforeAll(async () => { server = await startServer() })
  afterAll(() => server?.stop())

  it('answers 200 with the contract body', async () => {
    const res = await fetch(`${server.url}/api/health`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({ status: 'ok', db: 'ok' })
  })

  it('serves the dashboard shell', async () => {
    const res = await fetch(server.url)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('Proofdeck')
  })

  // a client reusing a connection the server closed at Node's 5 s failed with "socket hang up" (a browser test in CI)
  it('keeps an idle connection open 65 s, longer than a load balancer or client keeps it', async () => {
    const header = await new Promise<string | undefined>((done, fail) => get(`${server.url}/api/health`, (res) => {
      res.resume()
      done(res.headers['keep-alive'] as string | undefined)
    }).on('error', fail))
    expect(header).toBe('timeout=65')
  })
})

/** A TCP proxy we can cut, standing between the server and Postgres, so "the database is gone" is real. */
function startProxy(target: URL): Promise<{ port: number, cut: () => void, close: () => void }> {
  const sockets = new Set<Socket>()
  let open = true
  const server: Server = createServer((client) => {
    if (!open) return client.destroy()
    const upstream = connect(Number(target.port || 5432), target.hostname)
    sockets.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    const drop = () => { client.destroy(); upstream.destroy() }
    client.on('error', drop)
    upstream.on('error', drop)
  })
  return new Promise(res => server.listen(0, '127.0.0.1', () => res({
    port: (server.address() as { port: number }).port,
    cut: () => { open = false; for (const s of sockets) s.destroy() },
    close: () => server.close(),
  })))
}

describe.runIf(process.env.TEST_DATABASE_URL)('health when Postgres goes away', () => {
  it('answers 503 once the database is unreachable', async () => {
    const db = await freshDatabase()
    const target = new URL(db.env.DATABASE_URL!)
    const proxy = await startProxy(target)
    const viaProxy = new URL(target)
    viaProxy.host = `127.0.0.1:${proxy.port}`
    const server = await startServer({ DATABASE_URL: viaProxy.toString() })
    try {
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200)
      proxy.cut()
      const res = await fetch(`${server.url}/api/health`)
      expect(res.status).toBe(503)
      expect(await res.json()).toEqual({ status: 'degraded', db: 'unreachable' })
    }
    finally {
      await server.stop()
      proxy.close()
      await db.drop()
    }
  })
})
