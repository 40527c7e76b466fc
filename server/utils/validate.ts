import type { z } from 'zod'
import { badRequest } from './errors'

/** Turns zod issues into one sentence a person can act on: "email: Enter a valid email address." */
function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((i) => {
    const where = i.path.length ? `${i.path.join('.')}: ` : ''
    return `${where}${i.message}`
  }).join(' ')
}

/**
 * For h3 getValidatedQuery, getValidatedRouterParams and readValidatedBody, which call a function (h3 v1 does not take a schema object):
 * parses with the schema or throws a 400 whose message names the bad field.
 */
export function validator<S extends z.ZodType>(schema: S) {
  return (data: unknown): z.output<S> => {
    const r = schema.safeParse(data)
    if (!r.success) throw badRequest(describeIssues(r.error), 'invalid_input', { issues: r.error.issues.map(i => ({ path: i.path.join('.'), message: i.message })) })
    return r.data
  }
}
