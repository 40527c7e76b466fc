import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { npmTarball, type TarEntry } from '../../../server/utils/tarball'

/** Reads a ustar archive back: name, mode, size, content of each entry, checking every header's checksum. */
function readTar(tgz: Buffer) {
  const tar = gunzipSync(tgz)
  const entries: { name: string, mode: number, content: string }[] = []
  for (let at = 0; at + 512 <= tar.length;) {
    const h = tar.subarray(at, at + 512)
    if (h.every(b => b === 0)) break
    const field = (start: number, len: number) => h.subarray(start, start + len).toString('ascii').replace(/\0.*$/s, '').trim()
    const size = Number.parseInt(field(124, 12), 8)
    let sum = 0
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!
    expect(Number.parseInt(field(148, 8), 8)).toBe(sum)
    expect(field(257, 6)).toBe('ustar')
    entries.push({
      name: h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, ''),
      mode: Number.parseInt(field(100, 8), 8),
      content: tar.subarray(at + 512, at + 512 + size).toString('utf8'),
    })
    at += 512 + Math.ceil(size / 512) * 512
  }
  return entries
}

describe('npmTarball', () => {
  it.each<[string, TarEntry[]]>([
    ['one small file', [{ path: 'package.json', content: '{"name":"x"}' }]],
    ['an executable, a nested file, sizes on and off the 512-byte block', [
      { path: 'proofdeck.mjs', content: '#!/usr/bin/env node\n', executable: true },
      { path: 'lib/ci.mjs', content: 'x'.repeat(512) },
      { path: 'lib/files.mjs', content: 'é'.repeat(700) },
    ]],
    ['an empty file', [{ path: 'README.md', content: '' }]],
  ])('%s: every entry under package/, with its mode and bytes', (_name, entries) => {
    const read = readTar(npmTarball(entries))
    const expected = [...entries].sort((a, b) => a.path.localeCompare(b.path))
    expect(read).toEqual(expected.map(e => ({ name: `package/${e.path}`, mode: e.executable ? 0o755 : 0o644, content: e.content })))
  })

  it('gives the same bytes for the same files in any order (npm caches by integrity)', () => {
    const a = [{ path: 'a.mjs', content: 'a' }, { path: 'b.mjs', content: 'b' }]
    expect(npmTarball(a).equals(npmTarball([...a].reverse()))).toBe(true)
  })

  it('refuses a name ustar cannot hold', () => {
    expect(() => npmTarball([{ path: `${'d/'.repeat(50)}x.mjs`, content: '' }])).toThrow(/longer than 100 bytes/)
  })
})
