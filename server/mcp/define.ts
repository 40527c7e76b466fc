import type { z } from 'zod'
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
