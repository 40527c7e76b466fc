import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PG_BIN = '/usr/lib/postgresql/15/bin'

export interface ThrowawayPg {
  url: string
  /** pg_ctl restart with the given shutdown mode; resolves once Postgres accepts connections again. */
  restart: (mode: 'fast' | 'immediate') => Promise<void>
  stop: (mode?: 'fast' | 'immediate') => Promise<void>
  start: () => Promise<void>
  destroy: () => void
}

/** Whether this machine can run a throwaway PostgreSQL 15 (the binaries, and root to run them as `postgres`). */
export function canRunThrowawayPg(): boolean {
  return existsSync(join(PG_BIN, 'pg_ctl')) && process.getuid?.() === 0
}

/**
 * A PostgreSQL 15 of our own (initdb in a temp dir, its own port), as .ci/run starts one: fault tests restart and
 * stop it, which they must never do to a shared instance.
 */
export function startThrowawayPg(port: number): ThrowawayPg {
  // a port taken by someone else fails pg_ctl start: try the next few
  for (let attempt = 0; ; attempt++) {
    try {
      return startOn(port + attempt * 7)
    }
    catch (err) {
      if (attempt >= 4) throw err
    }
  }
}

function startOn(port: number): ThrowawayPg {
  const dir = mkdtempSync(join(tmpdir(), 'proofdeck-pg-'))
  chownSync(dir, uidOf('postgres'), uidOf('postgres', 'g'))
  const data = join(dir, 'data')
  const asPostgres = (bin: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args], { stdio: 'ignore' })
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`
  const ctlArgs = (args: string[]) => ['-u', 'postgres', '--', join(PG_BIN, 'pg_ctl'), '-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', ...args]
  const ctl = (...args: string[]) => execFileSync('runuser', ctlArgs(args), { stdio: 'ignore' })
  // async, so that clients running in the same process keep running while Postgres goes down and comes back
  const ctlAsync = async (...args: string[]) => void await promisify(execFile)('runuser', ctlArgs(args))
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'])
  try {
    ctl('start')
  }
  catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: mode => ctlAsync('-m', mode, 'restart'),
    stop: (mode = 'fast') => ctlAsync('-m', mode, 'stop'),
    start: () => ctlAsync('start'),
    destroy: () => {
      try {
        ctl('-m', 'immediate', 'stop')
      }
      catch { /* already stopped */ }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function uidOf(user: string, flag: 'u' | 'g' = 'u'): number {
  return Number(execFileSync('id', [`-${flag}`, user]).toString().trim())
}
