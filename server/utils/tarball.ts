import { gzipSync } from 'node:zlib'

/**
 * An npm package tarball (gzip'd ustar, every entry under `package/`) from in-memory files, as `npm pack` writes it:
 * what `npx <url-of-a-.tgz>` installs. Fixed mtime and modes, so the same files give the same bytes.
 */

export interface TarEntry {
  /** Path inside the package, e.g. `lib/ci.mjs`. */
  path: string
  content: string | Uint8Array
  executable?: boolean
}

const BLOCK = 512
/** 1985-10-26, the date npm pack stamps on every entry. */
const MTIME = 499162500

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`
}

function header(path: string, size: number, mode: number): Buffer {
  const name = `package/${path}`
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name longer than 100 bytes: ${name}`)
  const h = Buffer.alloc(BLOCK)
  h.write(name, 0, 100, 'utf8')
  h.write(octal(mode, 8), 100, 8, 'ascii')
  h.write(octal(0, 8), 108, 8, 'ascii')
  h.write(octal(0, 8), 116, 8, 'ascii')
  h.write(octal(size, 12), 124, 12, 'ascii')
  h.write(octal(MTIME, 12), 136, 12, 'ascii')
  h.write(' '.repeat(8), 148, 8, 'ascii')
  h.write('0', 156, 1, 'ascii')
  h.write('ustar\0', 257, 6, 'ascii')
  h.write('00', 263, 2, 'ascii')
  let sum = 0
  for (const byte of h) sum += byte
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii')
  return h
}

export function npmTarball(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const e of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    const body = typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : Buffer.from(e.content)
    parts.push(header(e.path, body.length, e.executable ? 0o755 : 0o644), body)
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK
    if (pad) parts.push(Buffer.alloc(pad))
  }
  parts.push(Buffer.alloc(BLOCK * 2))
  return gzipSync(Buffer.concat(parts), { level: 9 })
}
