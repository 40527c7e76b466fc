import { countUsers } from '../services/users'

/** Whether the first-run setup page should be offered. */
export default defineEventHandler(async () => ({ needsSetup: await countUsers() === 0 }))
