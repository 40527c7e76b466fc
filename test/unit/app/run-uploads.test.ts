import { describe, expect, it } from 'vitest'
import type { UploadView } from '#shared/types/reads'
import { uploadOutageLine, uploadsOfRun, uploadTitle } from '../../../utils/run-uploads'

const file = (fileName: string, upload: string, notes: Partial<UploadView> = {}): UploadView => ({
  upload, fileName, format: 'junit', results: 2, bytes: 300, uploadedAt: '2026-12-05T09:55:01.123Z', duplicates: 0, rejected: 0, newClusters: 0, newlyFlaky: 0, ...notes,
})
const UPLOAD = ['0b8f0a52-5c6e-4c39-9a4c-1f1d3e2a7b10', '7d2c4e1a-93b5-4f0e-8a61-2c5d9e8f4a33']
const REFUSED = 'Error: connect ECONNREFUSED 127.0.0.1:5432'
const OUTAGE = { executed: 10, failed: 10, cause: 'network', causeFailures: 10, error: REFUSED }

describe('a run\'s files grouped into its uploads', () => {
  it.each([
    ['no files', [], []],
    ['one upload of one file', [file('a.xml', UPLOAD[0]!, { newClusters: 1 })], [{ files: ['a.xml'], newClusters: 1 }]],
    // the CLI's upload of a directory: the notes sit on its first file's row, and belong to the upload
    ['one upload of two files', [file('TEST-Pay.xml', UPLOAD[0]!, { newClusters: 1, newlyFlaky: 2, rejected: 1 }), file('TEST-Cart.xml', UPLOAD[0]!)],
      [{ files: ['TEST-Pay.xml', 'TEST-Cart.xml'], results: 4, newClusters: 1, newlyFlaky: 2, rejected: 1 }]],
    ['two uploads (shards) of one run', [file('shard-1.xml', UPLOAD[0]!, { duplicates: 3 }), file('shard-2a.xml', UPLOAD[1]!, { newClusters: 2 }),
      file('shard-2b.xml', UPLOAD[1]!)],
    [{ files: ['shard-1.xml'], results: 2, duplicates: 3, newClusters: 0 }, { files: ['shard-2a.xml', 'shard-2b.xml'], results: 4, newClusters: 2, duplicates: 0 }]],
    // two shards of a CI matrix whose transactions started in the same millisecond: their files stay apart
    ['two uploads stored at the same time', [file('shard-1.xml', UPLOAD[0]!), file('shard-2.xml', UPLOAD[1]!, { newlyFlaky: 1 })],
      [{ files: ['shard-1.xml'], newlyFlaky: 0 }, { files: ['shard-2.xml'], newlyFlaky: 1 }]],
    // the shard whose database died: its outage sits on its first file's row, and the healthy shard has none
    ['an outage upload beside a healthy one', [file('shard-1.xml', UPLOAD[0]!), file('shard-2a.xml', UPLOAD[1]!, { outage: OUTAGE }),
      file('shard-2b.xml', UPLOAD[1]!)],
    [{ files: ['shard-1.xml'], outage: null }, { files: ['shard-2a.xml', 'shard-2b.xml'], outage: OUTAGE }]],
  ] as const)('%s', (_, files, expected) => {
    const uploads = uploadsOfRun([...files])
    expect(uploads.map(u => ({ ...u, files: u.files.map(f => f.fileName) }))).toMatchObject(expected)
    expect(uploads).toHaveLength(expected.length)
  })
})

describe('an upload\'s line', () => {
  it.each([
    ['a shard of a job', { shard: '2/3', job: 'e2e' }, 'Upload of shard 2/3 of e2e'],
    ['a shard that named no job', { shard: '2/4', job: null }, 'Upload of shard 2/4'],
    ['a job\'s upload that is no shard', { shard: null, job: 'lint' }, 'Upload of job lint'],
    ['neither', { shard: null, job: null }, 'Upload'],
  ] as const)('%s', (_, upload, line) => {
    expect(uploadTitle(upload)).toBe(line)
  })

  it.each([
    ['all of its failures on the cause', OUTAGE, `outage: 10 of 10 tests failed on ${REFUSED}; left out of flakiness`],
    ['most of them', { ...OUTAGE, executed: 1200, failed: 1100, causeFailures: 800 },
      `outage: 1,100 of 1,200 tests failed, 800 of them on ${REFUSED}; left out of flakiness`],
  ] as const)('an outage: %s', (_, outage, line) => {
    expect(uploadOutageLine(outage)).toBe(line)
  })

  it('keeps the job its upload said', () => {
    expect(uploadsOfRun([file('e2e-1.xml', UPLOAD[0]!, { shard: '1/3', job: 'e2e' })])[0]).toMatchObject({ shard: '1/3', job: 'e2e' })
  })
})
