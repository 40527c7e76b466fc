import { z } from 'zod'

/**
 * The identifiers every door validates, defined once. Formats are refinements, not zod's own checks: those become
 * regex patterns in the JSON Schema every MCP client receives with tools/list, where they cost bytes on every turn.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SLUG = /^[a-z0-9][a-z0-9._-]{0,62}$/

export const uuidSchema = (message: string) => z.string().refine(s => UUID.test(s), message)

export const slugSchema = z.string().trim().toLowerCase()
  .refine(s => SLUG.test(s), 'A project slug is 1–63 characters: lowercase letters, digits, dot, dash or underscore, starting with a letter or digit.')
