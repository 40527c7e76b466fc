import { z } from 'zod'
import { isUuid } from '../uuid'

/**
 * The identifiers every door validates, defined once. Formats are refinements, not zod's own checks: those become
 * regex patterns in the JSON Schema every MCP client receives with tools/list, where they cost bytes on every turn.
 */

const SLUG = /^[a-z0-9][a-z0-9._-]{0,62}$/

export const uuidSchema = (message: string) => z.string().refine(isUuid, message)

export const slugSchema = z.string().trim().toLowerCase()
  .refine(s => SLUG.test(s), 'A project slug is 1–63 characters: lowercase letters, digits, dot, dash or underscore, starting with a letter or digit.')
