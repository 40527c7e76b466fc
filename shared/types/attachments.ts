/** What the pages show of a file a result came with. */
export type AttachmentKind = 'image' | 'video' | 'trace' | 'text' | 'file'

export interface AttachmentView {
  id: string
  resultId: string
  /** The try (1-based) that wrote it, where the report says; null for the result as a whole. */
  attempt: number | null
  name: string
  contentType: string
  bytes: number
  kind: AttachmentKind
  /** The download route (same origin: the session cookie or an API key opens it). */
  url: string
}

/** Everything a failure left behind: the full error, the output and the files. */
export interface ResultEvidence {
  resultId: string
  errorMessage: string | null
  errorStack: string | null
  stdout: string | null
  stderr: string | null
  attachments: AttachmentView[]
}
