import { describe, expect, it } from 'vitest'
import type { UploadView } from '#shared/types/reads'
import { uploadsOfRun } from '../../../utils/run-uploads'

const file = (fileName: string, uploadedAt: string, notes: Partial<UploadView> = {}): UploadView => ({
  fileName, format: 'junit', results: 2, bytes: 300, uploadedAt, duplicates: 0, rejected: 0, newClusters: 0, newlyFlaky: 0, ...notes,
})
const AT = ['2026-12-05T09:55:01.123Z', '2026-12-05T09:58:40.007Z']

describe('a run\'s files grouped into its uploads', () => {
  it.each([
    ['no files', [], []],
    ['one upload of one file', [file('a.xml', AT[0]!, { newClusters: 1 })], [{ files: ['a.xml'], newClusters: 1 }]],
    // the CLI's upload of a directory: the notes sit on its first file's row, and belong to the upload
    ['one upload of two files', [file('TEST-Pay.xml', AT[0]!, { newClusters: 1, newlyFlaky: 2, rejected: 1 }), file('TEST-Cart.xml', AT[0]!)],
      [{ files: ['TEST-Pay.xml', 'TEST-Cart.xml'], newClusters: 1, newlyFlaky: 2, rejected: 1 }]],
    ['two uploads (shards) of one run', [file('shard-1.xml', AT[0]!, { duplicates: 3 }), file('shard-2a.xml', AT[1]!, { newClusters: 2 }),
      file('shard-2b.xml', AT[1]!)],
    [{ files: ['shard-1.xml'], duplicates: 3, newClusters: 0 }, { files: ['shard-2a.xml', 'shard-2b.xml'], newClusters: 2, duplicates: 0 }]],
  ] as const)('%s', (_, files, expected) => {
    const uploads = uploadsOfRun([...files])
    expect(uploads.map(u => ({ ...u, files: u.files.map(f => f.fileName) }))).toMatchObject(expected)
    expect(uploads).toHaveLength(expected.length)
  })
})
