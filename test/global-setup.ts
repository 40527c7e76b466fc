import { execSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { TestProject } from 'vitest/node'

/**
 * Builds once when no build exists (CI builds before testing), and on PGlite prepares one migrated template data
 * dir that every e2e file copies: a fresh initdb in wasm costs seconds, a copy a fraction of one.
 */
export default async function setup(project: TestProject) {
  if (process.env.FORCE_BUILD === '1' || !existsSync('.output/server/index.mjs')) {
    execSync('npx nuxt build', { stdio: 'inherit' })
    // the e2e and browser projects each run this setup: one build is enough
    delete process.env.FORCE_BUILD
  }
  const tmp = mkdtempSync(join(tmpdir(), 'proofdeck-e2e-'))
  project.provide('tmpDir', tmp)
  if (!process.env.TEST_DATABASE_URL) {
    const { PGlite } = await import('@electric-sql/pglite')
    const { drizzle } = await import('drizzle-orm/pglite')
    const { migrate } = await import('drizzle-orm/pglite/migrator')
    const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
    const template = join(tmp, 'pglite-template')
    const client = await PGlite.create(template, { extensions: { pg_trgm } })
    await migrate(drizzle(client), { migrationsFolder: resolve('drizzle') })
    await client.close()
    project.provide('pgliteTemplate', template)
  }
  else {
    project.provide('pgliteTemplate', '')
  }
  return () => rmSync(tmp, { recursive: true, force: true })
}

declare module 'vitest' {
  export interface ProvidedContext {
    tmpDir: string
    pgliteTemplate: string
  }
}
