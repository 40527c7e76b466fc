import { usageQuerySchema } from '#shared/schemas/diagnosis'
import { getDiagnosisUsage } from '../services/diagnoses'
import { validQuery } from '../utils/validate'

/** Diagnoses, tokens and estimated LLM cost per day for the caller's projects. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const query = await validQuery(event, usageQuerySchema)
  return getDiagnosisUsage(scope, query)
})
