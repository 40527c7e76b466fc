import { listUsers } from '../../services/users'

/** Every user with role, memberships and state (admins only). */
export default defineEventHandler(async event => listUsers(await requireUserScope(event)))
