import { getAiSettings } from '../../services/llm/settings'

/** The AI provider settings (admins): never the key, only whether one is set and its last 4 characters. */
export default defineEventHandler(async event => getAiSettings(await requireUserScope(event)))
