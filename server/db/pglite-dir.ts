import { isMainThread } from 'node:worker_threads'
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const LOCK_FILE = 'proofdeck.pid'

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch (err) {
    // EPERM: the process exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes the data directory for this process, as Postgres does with postmaster.pid: a lock file holding our pid.
 * A lock whose pid is alive refuses the start with a sentence naming that process; a stale one (its process is
 * gone, e.g. after a SIGKILL) is taken over. Two processes on one PGlite directory corrupt it. Returns the release.
 */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 })
      return () => {
        try {
          if (Number(readFileSync(file, 'utf8').trim()) === process.pid) unlinkSync(file)
        }
        catch { /* already gone */ }
      }
    }
    catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    let pid = 0
    try {
      pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10)
    }
    catch { /* removed meanwhile: try again */ }
    if (pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new Error(`the data directory ${dir} is in use by another Proofdeck process (pid ${pid}): stop that process, `
        + 'or set PROOFDECK_DATA_DIR to another directory (one directory serves one process)')
    }
    try {
      unlinkSync(file)
    }
    catch { /* another starter removed it first */ }
  }
  throw new Error(`could not take the lock ${file}: another process keeps creating it`)
}

/** Makes the directory and everything in it private to this user (PGlite writes its files 0666 whatever the umask). */
function makePrivate(path: string): void {
  const st = statSync(path)
  if (st.isDirectory()) {
    if ((st.mode & 0o777) !== 0o700) chmodSync(path, 0o700)
    for (const name of readdirSync(path)) makePrivate(join(path, name))
  }
  else if (st.isFile() && (st.mode & 0o077) !== 0) {
    chmodSync(path, 0o600)
  }
}

/**
 * Creates the data directory, private: umask 077 for this process from here on, as the postmaster sets it, so the
 * files PGlite creates later are private too. `nuxt dev` runs the server on a worker thread, where the umask cannot
 * be set: there the 0700 directory alone keeps other users out.
 */
export function createDataDir(dir: string): void {
  if (isMainThread) process.umask(0o077)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
}

/** Tightens what is already there (PGlite unpacks its initial files 0666 whatever the umask; older data dirs too). */
export function tightenDataDir(dir: string): void {
  makePrivate(dir)
}
