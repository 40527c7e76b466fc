import { aiSettingsBodySchema } from '#shared/schemas/diagnosis'
import { updateAiSettings } from '../../services/llm/settings'
import { validator } from '../../utils/validate'

/** Saves the AI provider settings (admins); the key is stored encrypted. */
export default defineEventHandler(async (event) => {
  const scope = await requireUserScope(event)
  const body = await readValidatedBody(event, validator(aiSettingsBodySchema))
  setResponseHeader(event, 'cache-control', 'no-store')
  return updateAiSettings(scope, body)
})
