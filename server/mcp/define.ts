import type { z } from 'zod'
import { badRequest } from '../utils/errors'
import type { Scope } from '../services/scope'

/** One MCP tool: a shared zod input schema, words for the model, what its answer's fields mean, and one service call. */
export interface ToolDefinition<S extends z.ZodObject = z.ZodObject> {
  name: string
  title: string
  description: string
  input: S
  /** The outputSchema: open objects, optional fields, a short description on each field a model could misread. */
  output: z.ZodObject
  /**
   * The argument that sets how many rows the answer's list holds (items, results or history): an answer over the
   * size cap is asked again with fewer, so the service itself gives the cursor to the rest.
   */
  shorten?: string
  run: (scope: Scope, args: z.output<S>) => Promise<unknown>
}

export function defineTool<S extends z.ZodObject>(tool: ToolDefinition<S>): ToolDefinition<S> {
  return tool
}

/**
 * A list's cursor refused by its service names `cursor` and `nextCursor`, as REST calls them; a tool whose arguments
 * are called otherwise (get_test_case's `historyCursor`, answered with `historyNextCursor`) says its own names.
 */
export async function withCursorNames<T>(read: Promise<T>, names: { cursor: string, next: string }): Promise<T> {
  try {
    return await read
  }
  catch (error) {
    const e = error as { data?: { code?: string }, message?: string }
    if (e.data?.code !== 'bad_cursor' || !e.message) throw error
    throw badRequest(`${names.cursor}: ${e.message.replaceAll('nextCursor', names.next)}`, 'bad_cursor')
  }
}
