import { getQuery, getRouterParams, readBody, type H3Event } from 'h3'
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

/** Turns zod issues into one sentence a person can act on: "email: Enter a valid email address.", "limit is at most 100." */
function describeIssues(error: z.ZodError, data: unknown): string {
  return error.issues.slice(0, 3).map((i) => {
    const path = i.path.join('.')
    const message = repeated(data, i) ?? i.message
    // a sentence that starts with the field's name names it already ("limit is at most 100.")
    return !path || message.startsWith(`${path} `) ? message : `${path}: ${message}`
  }).join(' ')
}

/** Parses with the schema or throws a 400 whose message names the bad field (its `data.code` is `invalid_input`). */
export function validator<S extends z.ZodType>(schema: S) {
  return (data: unknown): z.output<S> => {
    const r = schema.safeParse(data)
    if (!r.success) throw badRequest(describeIssues(r.error, data), 'invalid_input', { issues: r.error.issues.map(i => ({ path: i.path.join('.'), message: i.message })) })
    return r.data
  }
}

/*
 * The request's body, query and route parameters through `validator`. Not h3's readValidatedBody and its kin: they
 * wrap what the validator throws in an error of their own ("Validation Error", the code one level down in `data.data`),
 * so a dashboard route answered otherwise than ingest and MCP for the same kind of mistake.
 */

/** The JSON body, parsed with the schema; none at all where the schema wants one is said as such. */
export async function validBody<S extends z.ZodType>(event: H3Event, schema: S): Promise<z.output<S>> {
  const body: unknown = await readBody(event)
  if (body === undefined || body === '') {
    const r = schema.safeParse(undefined)
    if (r.success) return r.data
    throw badRequest('The request has no body: send a JSON object, with Content-Type: application/json.', 'invalid_input')
  }
  return validator(schema)(body)
}

export async function validQuery<S extends z.ZodType>(event: H3Event, schema: S): Promise<z.output<S>> {
  return validator(schema)(getQuery(event))
}

export async function validParams<S extends z.ZodType>(event: H3Event, schema: S): Promise<z.output<S>> {
  return validator(schema)(getRouterParams(event))
}
