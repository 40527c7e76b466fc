import { getAccount } from '../../services/users'

/** The signed-in user's account and projects. */
export default defineEventHandler(async event => getAccount(await requireUserScope(event)))
