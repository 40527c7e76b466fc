import { aiSettingsBodySchema } from '#shared/schemas/diagnosis'
import { updateAiSettings } from '../../services/llm/settings'
import { authorize } from '../../services/policy'
import { validBody } from '../../utils/validate'

/** Saves the AI provider settings (admins); the key is stored encrypted. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  authorize(scope, 'manage_ai_settings') // before the body: a member gets the 403, not a remark on the model
  const body = await validBody(event, aiSettingsBodySchema)
  setResponseHeader(event, 'cache-control', 'no-store')
  return updateAiSettings(scope, body)
})
