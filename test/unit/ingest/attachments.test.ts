import { describe, expect, it } from 'vitest'
import { parseReport } from '../../../server/ingest'
import { contentTypeOf, kindOf, servingHeaders } from '../../../server/ingest/attachment-types'
import { referencedPaths } from '../../../cli/lib/attachments.mjs'
import { corpusText } from './helpers'

/**
 * Evidence in real reports: the files each result names (what the CLI uploads and ingest matches by path), the try
 * that wrote them, and the output and stacks kept with the results.
 */
interface Evidence {
  file: string
  /** results naming files, the files named, distinct paths */
  withFiles: number
  files: number
  paths: number
  attempts: (number | null)[]
  kinds: string[]
  /** results with stdout, stderr, a stack */
  stdout: number
  stderr: number
  stacks: number
  /** paths the CLI finds in the report's text */
  cli: number
}

const CORPUS: Evidence[] = [
  { file: 'playwright/FishCards__results.json', withFiles: 17, files: 21, paths: 21, attempts: [1], kinds: ['image', 'text', 'trace'], stdout: 2, stderr: 0, stacks: 2, cli: 21 },
  { file: 'playwright/playwright-report-summary__report-valid.json', withFiles: 3, files: 3, paths: 3, attempts: [2], kinds: ['trace'], stdout: 0, stderr: 0, stacks: 3, cli: 3 },
  { file: 'playwright/playwright-report-summary__report-sharded.json', withFiles: 2, files: 2, paths: 2, attempts: [2], kinds: ['trace'], stdout: 0, stderr: 0, stacks: 2, cli: 2 },
  { file: 'junit/junitxml__conventions.xml', withFiles: 1, files: 2, paths: 2, attempts: [null], kinds: ['image'], stdout: 1, stderr: 0, stacks: 0, cli: 2 },
  { file: 'junit/mbh-playwright__results.xml', withFiles: 103, files: 212, paths: 211, attempts: [null], kinds: ['image', 'video'], stdout: 103, stderr: 0, stacks: 86, cli: 211 },
  { file: 'ctrf/ctrf__comprehensive.json', withFiles: 2, files: 4, paths: 4, attempts: [1, null], kinds: ['image', 'trace', 'video'], stdout: 1, stderr: 1, stacks: 2, cli: 4 },
  { file: 'ctrf/ctrf__with-diagnostics.json', withFiles: 1, files: 3, paths: 3, attempts: [null], kinds: ['image', 'text'], stdout: 1, stderr: 1, stacks: 1, cli: 3 },
  // its suite's own output goes with its failed and errored tests as well
  { file: 'junit/junitxml__junit-complete.xml', withFiles: 0, files: 0, paths: 0, attempts: [], kinds: [], stdout: 3, stderr: 3, stacks: 0, cli: 0 },
]

describe('attachments and output in the corpus', () => {
  it.each(CORPUS.map(c => [c.file, c] as const))('%s', (file, c) => {
    const text = corpusText(file)
    const { results } = parseReport(text)
    const files = results.flatMap(r => r.attachments)
    const kinds = [...new Set(files.map(a => kindOf(a.name, contentTypeOf(a.path ?? a.name, a.contentType))))].sort()
    expect({
      file: undefined,
      withFiles: results.filter(r => r.attachments.length).length, files: files.length, paths: new Set(files.map(a => a.path)).size,
      attempts: [...new Set(files.map(a => a.attempt ?? null))], kinds,
      stdout: results.filter(r => r.stdout).length, stderr: results.filter(r => r.stderr).length,
      stacks: results.filter(r => r.errorStack).length,
      // the CLI finds every path the parser keeps (CTRF's retry attempts name one more, which the server reports as not kept)
      cli: referencedPaths(text).length,
    }).toEqual({ ...c, file: undefined })
    const cli = new Set(referencedPaths(text))
    for (const a of files) expect(cli.has(a.path!), a.path!).toBe(true)
  })

  it('keeps JUnit [[ATTACHMENT|path]] lines as written, relative paths and Windows separators included', () => {
    const { results } = parseReport(corpusText('junit/mbh-playwright__results.xml'))
    expect(results[0]!.attachments.slice(0, 2)).toEqual([
      { name: 'test-failed-1.png', contentType: null, path: 'test-results\\mapbyregion.mbhpages.ts-map-by-region-test-chrome\\test-failed-1.png' },
      { name: 'video.webm', contentType: null, path: 'test-results\\mapbyregion.mbhpages.ts-map-by-region-test-chrome\\video.webm' },
    ])
  })
})

describe('what a stored file is and how it is served', () => {
  it.each([
    ['screenshot', 'image/png', 'image', 'image/png', 'inline'],
    ['test-failed-1.png', null, 'image', 'image/png', 'inline'],
    ['video.webm', null, 'video', 'video/webm', 'inline'],
    ['trace', 'application/zip', 'trace', 'application/octet-stream', 'attachment'],
    ['results/trace.zip', null, 'trace', 'application/octet-stream', 'attachment'],
    ['report.zip', null, 'file', 'application/octet-stream', 'attachment'],
    ['error-context', 'text/markdown', 'text', 'text/plain; charset=utf-8', 'inline'],
    ['console.log', null, 'text', 'text/plain; charset=utf-8', 'inline'],
    ['page.html', 'text/html', 'file', 'application/octet-stream', 'attachment'],
    ['logo.svg', 'image/svg+xml', 'file', 'application/octet-stream', 'attachment'],
    ['evil', 'Text/HTML; charset=utf-8', 'file', 'application/octet-stream', 'attachment'],
    ['noext', null, 'file', 'application/octet-stream', 'attachment'],
  ] as const)('%s (%s) is %s, served as %s %s', (name, reported, kind, served, disposition) => {
    const type = contentTypeOf(name, reported)
    expect(kindOf(name, type)).toBe(kind)
    const headers = servingHeaders({ name, contentType: type, bytes: 10 })
    expect(headers['content-type']).toBe(served)
    expect(headers['content-disposition']).toMatch(new RegExp(`^${disposition}; filename="[\\w.-]+"$`))
    expect(headers['x-content-type-options']).toBe('nosniff')
    expect(headers['content-security-policy']).toBe(`default-src 'none'; sandbox`)
    expect(headers['cache-control']).toBe('no-store')
  })
})
