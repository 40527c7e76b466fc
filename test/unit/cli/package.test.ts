import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

describe('the cli/ package', () => {
  const cli = read('cli/package.json')
  const app = read('package.json')

  it('carries the server\'s version: /cli.tgz is version-matched to the server that serves it', () => {
    expect(cli.version).toBe(app.version)
  })

  it('has no dependencies of any kind (npx of /cli.tgz must need nothing from a registry)', () => {
    expect(Object.keys(cli).filter(k => /dependencies$/i.test(k))).toEqual([])
  })

  it('is publishable as it stands: a bin, the files it needs, the Node it runs on', () => {
    expect(cli.bin).toEqual({ proofdeck: 'proofdeck.mjs' })
    expect(cli.files).toEqual(['proofdeck.mjs', 'lib/'])
    expect(cli.engines.node).toMatch(/^>=18/)
    expect(cli.private).toBeUndefined()
  })
})
