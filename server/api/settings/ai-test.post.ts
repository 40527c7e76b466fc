import { testAiSettings } from '../../services/llm/settings'

/** Sends one tiny request to the configured AI provider and reports whether it answered (admins). */
export default defineEventHandler(async event => testAiSettings(await requireUserScope(event)))
