import { listApiKeys } from '../../services/api-keys'

export default defineEventHandler(async event => listApiKeys(await requireUserScope(event)))
