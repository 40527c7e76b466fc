import type { z } from 'zod'
import { badRequest } from './errors'

/**
 * A field given several values where it takes one: a query parameter repeated (`?project=a&project=b` reads as a
 * list). Its schema's own sentence ("Say which project…") would tell the caller to add what they already sent.
 */
function repeated(data: unknown, issue: z.core.$ZodIssue): string | null {
  if (issue.code !== 'invalid_type' || issue.path.length !== 1 || typeof data !== 'object' || data === null) return null
  const value = (data as Record<PropertyKey, unknown>)[issue.path[0]!]
  return Array.isArray(value) ? `one value expected, ${value.length} given: give it once.` : null
}

/** Turns zod issues into one sentence a person can act on: "email: Enter a valid email address." */
function describeIssues(error: z.ZodError, data: unknown): string {
  return error.issues.slice(0, 3).map((i) => {
    const where = i.path.length ? `${i.path.join('.')}: ` : ''
    return `${where}${repeated(data, i) ?? i.message}`
  }).join(' ')
}

/**
 * For h3 getValidatedQuery, getValidatedRouterParams and readValidatedBody, which call a function (h3 v1 does not take a schema object):
 * parses with the schema or throws a 400 whose message names the bad field.
 */
export function validator<S extends z.ZodType>(schema: S) {
  return (data: unknown): z.output<S> => {
    const r = schema.safeParse(data)
    if (!r.success) throw badRequest(describeIssues(r.error, data), 'invalid_input', { issues: r.error.issues.map(i => ({ path: i.path.join('.'), message: i.message })) })
    return r.data
  }
}
