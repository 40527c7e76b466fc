import { diagnosisFeedbackBodySchema, diagnosisParamsSchema } from '#shared/schemas/diagnosis'
import { addDiagnosisFeedback } from '../../../services/diagnoses'
import { validator } from '../../../utils/validate'

/** Helpful or wrong, with an optional note, on one diagnosis version. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const { diagnosisId } = await getValidatedRouterParams(event, validator(diagnosisParamsSchema))
  const body = await readValidatedBody(event, validator(diagnosisFeedbackBodySchema))
  setResponseStatus(event, 201)
  return addDiagnosisFeedback(scope, diagnosisId, body)
})
