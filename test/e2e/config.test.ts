import { createServer, type AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { queryDb, runServerToExit, startServer } from './server'

describe('configuration', () => {
  it.each([
    [{ PROOFDECK_FLAKY_WINDOW: 'thirty' }, 'PROOFDECK_FLAKY_WINDOW is "thirty": a whole number from 5 to 500 is expected.'],
    [{ PROOFDECK_PUBLIC_URL: 'proofdeck.example.com', DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE is "0"'],
    [{ DATABASE_READ_URL: 'postgres://replica.example/pd' }, 'DATABASE_READ_URL is set without DATABASE_URL'],
  ])('a wrong value stops the start with a sentence naming the variable (%j)', async (env, sentence) => {
    const { code, output } = await runServerToExit({ NUXT_SESSION_PASSWORD: 'x'.repeat(40), PROOFDECK_DATA_DIR: 'memory://', ...env })
    expect(code).toBe(1)
    const line = output.split('\n').find(l => l.includes('cannot start'))
    expect(line).toContain(sentence)
    for (const name of Object.keys(env)) expect(line).toContain(name)
  })

  it('a database that a newer version migrated stops the start with a sentence', async () => {
    const server = await startServer()
    try {
      await server.kill()
      await queryDb(server.env, `insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-a-newer-version', ${Date.UTC(2099, 0, 1)})`)
      const { code, output } = await runServerToExit(server.env)
      expect(code).toBe(1)
      // which migration the build stops at, and when the newer one was made (two dates of one day said nothing: a review)
      expect(output).toMatch(/\[proofdeck\] cannot start: database migration failed: this database was migrated by a newer Proofdeck \(1 migration this build does not have, the newest made 2099-01-01 00:00 UTC; this build's newest is \d{4}_\w+, made \d{4}-\d\d-\d\d \d\d:\d\d UTC\): start that version/)
    }
    finally {
      await server.stop()
    }
  })

  it('a port another process holds, or a HOST that is no address here, stops the start instead of running with no socket', async () => {
    const holder = createServer()
    await new Promise<void>(resolve => holder.listen(0, '127.0.0.1', resolve))
    const { port } = holder.address() as AddressInfo
    try {
      const base = { NUXT_SESSION_PASSWORD: 'x'.repeat(40), PROOFDECK_DATA_DIR: 'memory://' }
      const taken = await runServerToExit({ ...base, HOST: '127.0.0.1', PORT: String(port) })
      expect(taken.code).toBe(1)
      expect(taken.output).toContain(`[proofdeck] cannot start: cannot listen on 127.0.0.1, port ${port}: another process holds the port`)
      const nowhere = await runServerToExit({ ...base, HOST: 'no-such-host.invalid', PORT: '0' })
      expect(nowhere.code).toBe(1)
      expect(nowhere.output).toContain('[proofdeck] cannot start: HOST "no-such-host.invalid" is no address or name of this machine')
    }
    finally {
      holder.close()
    }
  })
})
