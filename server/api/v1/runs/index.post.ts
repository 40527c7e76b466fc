import { ingestMetaSchema, INGEST_META_FIELDS } from '../../../../shared/schemas/ingest'
import { ingestRun } from '../../../services/ingest'
import { readUploadedFiles } from '../../../utils/upload'
import { validator } from '../../../utils/validate'

/** Upload a test report (JUnit XML, Playwright JSON, CTRF or Proofdeck JSON). Answers with the run's receipt. */
export default defineEventHandler(async (event) => {
  const scope = await requireApiKey(event, 'ingest')
  const query = getQuery(event)
  // Metadata from the query string, or X-Proofdeck-<Field> headers (the query wins).
  const raw = Object.fromEntries(INGEST_META_FIELDS.map(f => [f, query[f] ?? getRequestHeader(event, `x-proofdeck-${f.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`)]))
  const meta = validator(ingestMetaSchema)(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== '')))
  const files = await readUploadedFiles(event)
  const baseUrl = process.env.PROOFDECK_PUBLIC_URL?.replace(/\/$/, '') || getRequestURL(event).origin
  const { created, receipt } = await ingestRun(scope, meta, files, baseUrl)
  setResponseStatus(event, created ? 201 : 200)
  return receipt
})
