import { z } from 'zod'
import { isUuid } from '../uuid'

/**
 * The identifiers every door validates, defined once. Formats are refinements, not zod's own checks: those become
 * regex patterns in the JSON Schema every MCP client receives with tools/list, where they cost bytes on every turn.
 */

const SLUG = /^[a-z0-9][a-z0-9._-]{0,62}$/

export const uuidSchema = (message: string) => z.string().refine(isUuid, message)

/** A run named by its project and number, as a person says it: `web#1234`. */
const RUN_REF = /^([a-z0-9][a-z0-9._-]{0,62})#(\d{1,10})$/

/** The project and number of `web#1234`, or null for anything else (a number runs never reach included). */
function runRef(s: string): { projectSlug: string, number: number } | null {
  const m = RUN_REF.exec(s.toLowerCase())
  const number = Number(m?.[2])
  return m && number >= 1 && number <= 2_147_483_647 ? { projectSlug: m[1]!, number } : null
}

type RunRef = { id: string } | { projectSlug: string, number: number }
const toRunRef = (s: string): RunRef => (isUuid(s) ? { id: s.toLowerCase() } : runRef(s)!)

/** A run as MCP get_run takes it: its id, or its project's slug and its number (`web#1234`). */
export const runRefSchema = z.string().trim()
  .refine(s => isUuid(s) || runRef(s) !== null, 'A run is its id (a UUID, as list_runs gives it) or its project and number, like web#1234.')
  .transform(toRunRef)

/** The run MCP get_run compares with: "previous", or a run as runRefSchema takes it. */
export const compareRefSchema = z.string().trim()
  .refine(s => s.toLowerCase() === 'previous' || isUuid(s) || runRef(s) !== null,
    'compareTo is "previous", a run id (a UUID, as list_runs gives it) or a run by its project and number, like web#1233.')
  .transform((s): RunRef | 'previous' => (s.toLowerCase() === 'previous' ? 'previous' : toRunRef(s)))

export const slugSchema = z.string().trim().toLowerCase()
  .refine(s => SLUG.test(s), 'A project slug is 1–63 characters: lowercase letters, digits, dot, dash or underscore, starting with a letter or digit.')
