import { diagnosisFeedbackBodySchema, diagnosisParamsSchema } from '#shared/schemas/diagnosis'
import { addDiagnosisFeedback } from '../../../services/diagnoses'
import { validBody, validParams } from '../../../utils/validate'

/** Helpful or wrong, with an optional note, on one diagnosis version. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { diagnosisId } = await validParams(event, diagnosisParamsSchema)
  const body = await validBody(event, diagnosisFeedbackBodySchema)
  setResponseStatus(event, 201)
  return addDiagnosisFeedback(scope, diagnosisId, body)
})
