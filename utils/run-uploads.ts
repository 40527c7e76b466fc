import type { UploadOutageFacts } from '#shared/types/ingest'
import type { UploadView } from '#shared/types/reads'
import { outageFacts, uploadPlace } from '#shared/outages'

/** One upload of a run: its files, and what it noted (an upload's notes are stored with its first file). */
export interface RunUpload {
  upload: string
  uploadedAt: string
  /** The shard it said it was (`2/4`), if any. */
  shard: string | null
  /** The CI job it said it came from, if any. */
  job: string | null
  files: Pick<UploadView, 'fileName' | 'format' | 'results' | 'bytes'>[]
  /** Results of all its files. */
  results: number
  newClusters: number
  newlyFlaky: number
  duplicates: number
  rejected: number
  /** It was an outage by itself (UploadView.outage), or null. */
  outage: UploadOutageFacts | null
}

/**
 * A run's stored files (in the order stored) grouped into the uploads that brought them. The run page shows an
 * upload's new clusters and newly flaky tests once, on the upload's own line, not against whichever of its files came first.
 */
export function uploadsOfRun(files: UploadView[]): RunUpload[] {
  const uploads: RunUpload[] = []
  for (const { upload: id, fileName, format, results, bytes, uploadedAt, shard = null, job = null, outage, ...notes } of files) {
    let upload = uploads.at(-1)
    if (upload?.upload !== id) {
      upload = {
        upload: id, uploadedAt, shard, job, files: [], results: 0, newClusters: 0, newlyFlaky: 0, duplicates: 0, rejected: 0, outage: null,
      }
      uploads.push(upload)
    }
    upload.outage ??= outage ?? null
    upload.files.push({ fileName, format, results, bytes })
    upload.results += results
    upload.newClusters += notes.newClusters
    upload.newlyFlaky += notes.newlyFlaky
    upload.duplicates += notes.duplicates
    upload.rejected += notes.rejected
  }
  return uploads
}

/** An upload's line as the run page starts it: "Upload of shard 2/3 of e2e", "Upload of job lint", "Upload". */
export function uploadTitle(u: Pick<RunUpload, 'shard' | 'job'>): string {
  const place = uploadPlace(u)
  return place ? `Upload of ${place}` : 'Upload'
}

/**
 * An outage upload's line, in the words of the CLI's log and the receipt: "outage: 10 of 10 tests failed on <error>;
 * left out of flakiness".
 */
export function uploadOutageLine(outage: UploadOutageFacts): string {
  return `outage: ${outageFacts(outage)}; left out of flakiness`
}
